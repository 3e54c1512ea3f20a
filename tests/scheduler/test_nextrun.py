"""next_run: a parametrized table of calendar edge cases, then Hypothesis against a minute-by-minute walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketjobs.errors import ScheduleError
from scheduler.nextrun import fires_at, next_run, upcoming
from scheduler.spec import ScheduleSpec, parse_schedule

NY = "America/New_York"
MINUTE = timedelta(minutes=1)


def at(text: str) -> datetime:
    """An aware instant from ISO text with its offset, e.g. '2026-03-08T01:30-05:00'."""
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("spelling", "zone", "after", "expected"),
    [
        # America/New_York springs forward 2026-03-08 02:00 EST -> 03:00 EDT: a missing wall time runs once
        # at 03:00 EDT; several missing wall times collapse into that one run.
        ("30 2 * * *", NY, "2026-03-07T12:00-05:00", ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"]),
        ("every day at 2:30", NY, "2026-03-08T01:59-05:00", ["2026-03-08T03:00-04:00"]),
        ("*/30 2 * * *", NY, "2026-03-08T00:00-05:00", ["2026-03-08T03:00-04:00", "2026-03-09T02:00-04:00"]),
        ("0 3 * * *", NY, "2026-03-08T00:00-05:00", ["2026-03-08T03:00-04:00", "2026-03-09T03:00-04:00"]),
        ("0 * * * *", NY, "2026-03-08T00:30-05:00", ["2026-03-08T01:00-05:00", "2026-03-08T03:00-04:00"]),
        (
            "*/15 * * * *",
            NY,
            "2026-03-08T01:40-05:00",
            ["2026-03-08T01:45-05:00", "2026-03-08T03:00-04:00", "2026-03-08T03:15-04:00"],
        ),
        ("30 1 * * *", NY, "2026-03-07T12:00-05:00", ["2026-03-08T01:30-05:00", "2026-03-09T01:30-04:00"]),
        # America/New_York falls back 2026-11-01 02:00 EDT -> 01:00 EST: pinned hours run once (first pass),
        # jobs on every hour keep their rhythm through both passes.
        ("30 1 * * *", NY, "2026-10-31T12:00-04:00", ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"]),
        ("0 1 * * *", NY, "2026-11-01T01:00-04:00", ["2026-11-02T01:00-05:00"]),
        ("0 1-2 * * *", NY, "2026-11-01T00:00-04:00", ["2026-11-01T01:00-04:00", "2026-11-01T02:00-05:00"]),
        ("30 2 * * *", NY, "2026-10-31T12:00-04:00", ["2026-11-01T02:30-05:00", "2026-11-02T02:30-05:00"]),
        (
            "*/30 * * * *",
            NY,
            "2026-11-01T00:45-04:00",
            [
                "2026-11-01T01:00-04:00",
                "2026-11-01T01:30-04:00",
                "2026-11-01T01:00-05:00",
                "2026-11-01T01:30-05:00",
                "2026-11-01T02:00-05:00",
            ],
        ),
        ("every hour", NY, "2026-11-01T00:30-04:00", ["2026-11-01T01:00-04:00", "2026-11-01T01:00-05:00"]),
        # Europe/London springs forward 2026-03-29 01:00 GMT -> 02:00 BST.
        ("30 1 * * *", "Europe/London", "2026-03-28T12:00Z", ["2026-03-29T02:00+01:00"]),
        # Month ends: day 31 skips short months; day 30 skips February; year rollover.
        ("0 0 31 * *", "UTC", "2026-01-31T00:00Z", ["2026-03-31T00:00Z", "2026-05-31T00:00Z"]),
        ("0 0 30 * *", "UTC", "2026-01-30T00:00Z", ["2026-03-30T00:00Z"]),
        ("0 0 31 2,4,5 *", "UTC", "2026-01-01T00:00Z", ["2026-05-31T00:00Z", "2027-05-31T00:00Z"]),
        ("59 23 31 12 *", "UTC", "2026-12-31T23:59Z", ["2027-12-31T23:59Z"]),
        ("@monthly", "UTC", "2026-12-15T08:00Z", ["2027-01-01T00:00Z", "2027-02-01T00:00Z"]),
        ("0 0 31 * *", NY, "2026-04-01T00:00Z", ["2026-05-31T00:00-04:00"]),
        # Leap days: Feb 29 every four years, and none in 2100.
        ("0 0 29 2 *", "UTC", "2024-02-29T00:00Z", ["2028-02-29T00:00Z", "2032-02-29T00:00Z"]),
        ("0 0 29 2 *", "UTC", "2096-03-01T00:00Z", ["2104-02-29T00:00Z"]),
        ("0 12 28-29 2 *", "UTC", "2027-02-28T12:00Z", ["2028-02-28T12:00Z", "2028-02-29T12:00Z"]),
        ("@yearly", "UTC", "2026-06-01T00:00Z", ["2027-01-01T00:00Z"]),
        # Sundays: 0, 7, sun, @weekly and plain English all fire on Sunday 2026-11-29.
        ("0 4 * * 0", "UTC", "2026-11-25T12:00Z", ["2026-11-29T04:00Z", "2026-12-06T04:00Z"]),
        ("0 4 * * 7", "UTC", "2026-11-25T12:00Z", ["2026-11-29T04:00Z"]),
        ("0 4 * * sun", "UTC", "2026-11-25T12:00Z", ["2026-11-29T04:00Z"]),
        ("@weekly", "UTC", "2026-11-25T12:00Z", ["2026-11-29T00:00Z", "2026-12-06T00:00Z"]),
        ("every sunday at 04:00", NY, "2026-11-25T12:00Z", ["2026-11-29T04:00-05:00"]),
        (
            "0 9 * * 5-7",
            "UTC",
            "2026-11-27T10:00Z",
            ["2026-11-28T09:00Z", "2026-11-29T09:00Z", "2026-12-04T09:00Z"],
        ),
        # Ranges and steps.
        (
            "0-10/5 * * * *",
            "UTC",
            "2026-11-25T12:00Z",
            ["2026-11-25T12:05Z", "2026-11-25T12:10Z", "2026-11-25T13:00Z"],
        ),
        (
            "0 9-17/4 * * *",
            "UTC",
            "2026-11-25T08:00Z",
            ["2026-11-25T09:00Z", "2026-11-25T13:00Z", "2026-11-25T17:00Z"],
        ),
        ("15 10 * * 1,3,5", "UTC", "2026-11-25T10:15Z", ["2026-11-27T10:15Z", "2026-11-30T10:15Z"]),
        ("0 0 1-7 * *", "UTC", "2026-11-07T00:00Z", ["2026-12-01T00:00Z"]),
        ("0 0 * */3 *", "UTC", "2026-11-25T00:00Z", ["2027-01-01T00:00Z"]),
        # NYSE-hours style: every 5 minutes, 09:00-16:55 New York, Monday to Friday.
        ("*/5 9-16 * * 1-5", NY, "2026-11-25T08:59:30-05:00", ["2026-11-25T09:00-05:00"]),
        (
            "*/5 9-16 * * 1-5",
            NY,
            "2026-11-27T16:50-05:00",
            ["2026-11-27T16:55-05:00", "2026-11-30T09:00-05:00"],
        ),
        ("*/5 9-16 * * 1-5", NY, "2026-07-02T20:00Z", ["2026-07-02T16:05-04:00"]),
        # Day of month and day of week both restricted: either matches (cron's OR rule).
        (
            "0 0 13 * 5",
            "UTC",
            "2026-12-05T00:00Z",
            ["2026-12-11T00:00Z", "2026-12-13T00:00Z", "2026-12-18T00:00Z"],
        ),
        ("0 0 * * 5", "UTC", "2026-12-12T00:00Z", ["2026-12-18T00:00Z"]),
        ("0 0 13 * *", "UTC", "2026-12-12T00:00Z", ["2026-12-13T00:00Z", "2027-01-13T00:00Z"]),
        # Strictly after, whole minutes, seconds in the input.
        ("* * * * *", "UTC", "2026-11-25T12:00:30.5Z", ["2026-11-25T12:01Z", "2026-11-25T12:02Z"]),
        ("* * * * *", "UTC", "2026-11-25T12:00Z", ["2026-11-25T12:01Z"]),
    ],
)
def test_next_runs_follow_the_calendar(spelling: str, zone: str, after: str, expected: list[str]) -> None:
    spec = parse_schedule(spelling, timezone=zone)
    runs = upcoming(spec, at(after), len(expected))
    assert runs == [at(text) for text in expected]
    assert all(run.tzinfo is UTC for run in runs)


def test_next_run_accepts_any_aware_input_and_rejects_naive() -> None:
    spec = parse_schedule("@daily")
    assert next_run(spec, at("2026-11-25T20:00-05:00")) == at("2026-11-27T00:00Z")
    with pytest.raises(ValueError, match="naive"):
        next_run(spec, datetime(2026, 11, 25))


def test_upcoming_of_zero_is_empty() -> None:
    assert upcoming(parse_schedule("@daily"), at("2026-11-25T00:00Z"), 0) == []


@pytest.mark.parametrize(
    ("spelling", "zone", "instant", "fires"),
    [
        ("@weekly", "UTC", "2026-11-29T00:00:59Z", True),
        ("@weekly", "UTC", "2026-11-29T00:01Z", False),
        ("@weekly", "UTC", "2026-11-28T00:00Z", False),
        ("30 2 * * *", NY, "2026-03-08T03:00-04:00", True),
        ("30 1 * * *", NY, "2026-11-01T01:30-04:00", True),
        ("30 1 * * *", NY, "2026-11-01T01:30-05:00", False),
    ],
)
def test_fires_at_tells_whether_a_minute_is_a_run(
    spelling: str, zone: str, instant: str, fires: bool
) -> None:
    assert fires_at(parse_schedule(spelling, timezone=zone), at(instant)) is fires


def test_a_spec_with_no_possible_run_reports_the_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scheduler.nextrun.HORIZON_DAYS", 30)
    with pytest.raises(ScheduleError, match="no run within 30 days"):
        next_run(parse_schedule("0 0 29 2 *"), at("2026-03-01T00:00Z"))


# --- Hypothesis: next_run agrees with an independent minute-by-minute search --------------------------

ZONES = ["UTC", NY, "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]
#: Instants near daylight-saving changes in the zones above, where mistakes hide.
TRANSITIONS = [
    at("2026-03-08T07:00Z"),
    at("2026-11-01T06:00Z"),
    at("2026-03-29T01:00Z"),
    at("2026-10-25T01:00Z"),
    at("2026-04-04T15:00Z"),
    at("2026-10-03T15:30Z"),
    at("2026-04-05T03:00Z"),
    at("2026-09-06T04:00Z"),
]
HORIZON_MINUTES = 4 * 24 * 60


def brute_next(spec: ScheduleSpec, after: datetime, horizon: int) -> datetime | None:
    """Walks UTC minutes: a minute fires if its wall time matches (first pass of a repeated hour unless the
    hour field is ``*``) or if clocks jumped forward at it over a matching wall time."""
    tz = ZoneInfo(spec.timezone)
    instant = after.astimezone(UTC).replace(second=0, microsecond=0) + MINUTE
    previous = (instant - MINUTE).astimezone(tz).utcoffset()
    for _ in range(horizon):
        local = instant.astimezone(tz)
        offset = local.utcoffset()
        assert offset is not None
        assert previous is not None
        if spec.matches(local) and (local.fold == 0 or spec.every_hour):
            return instant
        if offset > previous:
            wall = local.replace(tzinfo=None)
            skipped = (offset - previous) // MINUTE
            if any(spec.matches(wall - k * MINUTE) for k in range(1, skipped + 1)):
                return instant
        previous = offset
        instant += MINUTE
    return None


def values(low: int, high: int, max_size: int) -> st.SearchStrategy[tuple[int, ...]]:
    every = st.just(tuple(range(low, high + 1)))
    some = st.sets(st.integers(low, high), min_size=1, max_size=max_size).map(lambda s: tuple(sorted(s)))
    step = st.integers(2, 15).map(lambda n: tuple(range(low, high + 1, n)))
    return st.one_of(every, some, step)


@st.composite
def specs(draw: st.DrawFn) -> ScheduleSpec:
    try:
        return ScheduleSpec(
            minutes=draw(values(0, 59, 4)),
            hours=draw(values(0, 23, 4)),
            days_of_month=draw(st.one_of(st.just(tuple(range(1, 32))), values(1, 31, 8))),
            months=draw(st.one_of(st.just(tuple(range(1, 13))), values(1, 12, 6))),
            days_of_week=draw(values(0, 6, 4)),
            timezone=draw(st.sampled_from(ZONES)),
        )
    except ScheduleError:
        return parse_schedule("@hourly")


instants = st.one_of(
    st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
    st.builds(
        lambda base, seconds: base + timedelta(seconds=seconds),
        st.sampled_from(TRANSITIONS),
        st.integers(-2 * 86400, 2 * 86400),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), after=instants)
@example(spec=parse_schedule("*/5 * * * *", timezone=NY), after=at("2026-03-08T06:58Z"))
@example(spec=parse_schedule("*/5 * * * *", timezone=NY), after=at("2026-11-01T05:58Z"))
@example(spec=parse_schedule("30 1 * * *", timezone=NY), after=at("2026-11-01T05:31Z"))
@example(spec=parse_schedule("15 2 * * *", timezone="Australia/Lord_Howe"), after=at("2026-10-03T12:00Z"))
@example(spec=parse_schedule("45 1 * * *", timezone="Australia/Lord_Howe"), after=at("2026-04-04T14:00Z"))
@example(spec=parse_schedule("30 0 * * *", timezone="America/Santiago"), after=at("2026-09-05T12:00Z"))
@example(spec=parse_schedule("30 23 * * *", timezone="America/Santiago"), after=at("2026-04-04T12:00Z"))
def test_next_run_is_the_first_matching_minute_after(spec: ScheduleSpec, after: datetime) -> None:
    run = next_run(spec, after)
    assert run > after
    assert run.tzinfo is UTC
    assert run.second == 0
    assert run.microsecond == 0
    local = run.astimezone(spec.tz)
    assert spec.matches(local) or local.utcoffset() != (run - MINUTE).astimezone(spec.tz).utcoffset()
    expected = brute_next(spec, after, HORIZON_MINUTES)
    if expected is None:
        assert run > after + HORIZON_MINUTES * MINUTE
    else:
        assert run == expected


@settings(max_examples=50, deadline=None)
@given(spec=specs(), after=instants)
def test_upcoming_runs_strictly_increase(spec: ScheduleSpec, after: datetime) -> None:
    runs = upcoming(spec, after, 5)
    assert runs == sorted(set(runs))
    assert runs[0] == next_run(spec, after)
