"""OHLCV validation: every row ends up valid or rejected with its row number and a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest

from marketjobs.marketdata.validate import BAR_SCHEMA, DuplicateTracker, validate_bars

GOOD = {
    "symbol": "AAPL",
    "ts": "2024-01-02",
    "open": "10",
    "high": "11",
    "low": "9",
    "close": "10.5",
    "volume": "100",
}


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{**GOOD, **row} for row in rows], schema=dict.fromkeys(GOOD, pl.String))


def test_a_clean_row_is_valid_and_typed() -> None:
    valid, rejected = validate_bars(frame({}))
    assert rejected.is_empty()
    assert valid.schema == BAR_SCHEMA
    assert valid.row(0) == ("AAPL", datetime(2024, 1, 2, tzinfo=UTC), 10.0, 11.0, 9.0, 10.5, 100.0)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"symbol": ""}, "missing symbol"),
        ({"symbol": "X" * 40}, "symbol longer than 32 characters"),
        ({"ts": None}, "missing ts"),
        ({"ts": "yesterday"}, "unparseable ts 'yesterday'"),
        ({"ts": "2024-02-30"}, "unparseable ts '2024-02-30'"),
        ({"open": "abc"}, "open is not a number: 'abc'"),
        ({"close": None}, "missing close"),
        ({"high": "inf"}, "high is not finite"),
        ({"low": "NaN"}, "low is not finite"),
        ({"open": "0", "low": "0"}, "open must be positive; low must be positive"),
        ({"low": "12"}, "low > high"),
        ({"open": "12"}, "open outside [low, high]"),
        ({"close": "8.99"}, "close outside [low, high]"),
        ({"volume": "-1"}, "volume is negative"),
        ({"volume": "lots"}, "volume is not a number: 'lots'"),
    ],
)
def test_bad_row_is_rejected_with_its_reason(bad: dict[str, Any], reason: str) -> None:
    valid, rejected = validate_bars(frame({}, bad))
    assert valid.height == 1
    assert rejected.select("row", "reason").rows() == [(2, reason)]


def test_missing_volume_is_allowed() -> None:
    valid, rejected = validate_bars(frame({"volume": ""}).drop("volume"))
    assert rejected.is_empty()
    assert valid["volume"].to_list() == [None]


def test_every_row_is_either_valid_or_rejected_with_its_raw_values() -> None:
    rows = frame({}, {"ts": "2024-01-03", "open": "x"}, {"ts": "2024-01-04"}, {"ts": "bad", "low": "50"})
    valid, rejected = validate_bars(rows)
    assert valid.height + rejected.height == rows.height
    assert rejected["row"].to_list() == [2, 4]
    assert rejected.row(1, named=True)["low"] == "50"
    assert "unparseable ts 'bad'" in rejected["reason"][1]


def test_repeated_symbol_and_ts_keeps_the_first_and_rejects_the_rest() -> None:
    rows = frame({}, {"close": "10.6"}, {"symbol": "MSFT"}, {"close": "10.7"})
    valid, rejected = validate_bars(rows)
    assert valid["close"].to_list() == [10.5, 10.5]
    assert rejected.select("row", "reason").rows() == [
        (2, "duplicate (symbol, ts) of row 1"),
        (4, "duplicate (symbol, ts) of row 1"),
    ]


def test_a_bad_row_does_not_make_its_valid_twin_a_duplicate() -> None:
    valid, rejected = validate_bars(frame({"low": "99"}, {}))
    assert valid.height == 1
    assert rejected.select("row", "reason").rows() == [(1, "low > high")]


def test_tracker_flags_repeats_of_earlier_chunks() -> None:
    tracker = DuplicateTracker()
    first = frame({}, {"ts": "2024-01-03"}).with_row_index("row", offset=1)
    second = frame({"ts": "2024-01-03"}, {"ts": "2024-01-01"}, {"symbol": "IBM"}).with_row_index(
        "row", offset=3
    )
    validate_bars(first, duplicates=tracker)
    valid, rejected = validate_bars(second, duplicates=tracker)
    assert rejected.select("row", "reason").rows() == [(3, "duplicate (symbol, ts) of row 2")]
    assert valid["symbol"].to_list() == ["AAPL", "IBM"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02", datetime(2024, 1, 2, tzinfo=UTC)),
        ("2024-01-02 15:30:00", datetime(2024, 1, 2, 15, 30, tzinfo=UTC)),
        ("2024-01-02T15:30:00.250", datetime(2024, 1, 2, 15, 30, 0, 250_000, tzinfo=UTC)),
        ("2024-01-02T15:30:00Z", datetime(2024, 1, 2, 15, 30, tzinfo=UTC)),
        ("2024-01-02T15:30:00+02:00", datetime(2024, 1, 2, 13, 30, tzinfo=UTC)),
        ("20240102", datetime(2024, 1, 2, tzinfo=UTC)),
    ],
)
def test_common_timestamp_forms_parse_to_utc(text: str, expected: datetime) -> None:
    valid, _ = validate_bars(frame({"ts": text}))
    assert valid["ts"].to_list() == [expected]


def test_naive_times_are_read_in_the_given_zone_and_formats_can_be_given() -> None:
    valid, _ = validate_bars(
        frame({"ts": "02/07/2024 09:30"}), ts_format="%d/%m/%Y %H:%M", timezone="America/New_York"
    )
    assert valid["ts"].to_list() == [datetime(2024, 7, 2, 13, 30, tzinfo=UTC)]


@pytest.mark.parametrize(
    "ts",
    [
        pl.Series([date(2024, 1, 2)]),
        pl.Series([datetime(2024, 1, 2)]),
        pl.Series([datetime(2024, 1, 2, tzinfo=UTC)]),
        pl.Series([1_704_153_600_000]),
    ],
)
def test_typed_timestamps_from_parquet_are_accepted(ts: pl.Series) -> None:
    typed = pl.DataFrame(
        {"symbol": ["A"], "ts": ts, "open": [1.0], "high": [2.0], "low": [1.0], "close": [2]}
    )
    valid, rejected = validate_bars(typed)
    assert rejected.is_empty()
    assert valid["ts"].to_list() == [datetime(2024, 1, 2, tzinfo=UTC)]


def test_required_columns_are_named_when_missing() -> None:
    with pytest.raises(ValueError, match=r"\['close'\]"):
        validate_bars(frame({}).drop("close"))
