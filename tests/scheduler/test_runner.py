"""The scheduler loop on a controlled clock: one enqueue per tick, failover, disable, missed-tick policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from marketjobs.config import configure
from marketjobs.errors import ParameterError
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.schedules import Schedule
from scheduler.definitions import ScheduleDefinition
from scheduler.leader import SqlLease, StubLease
from scheduler.runner import BrokerEnqueuer, Scheduler, run_now, tick_key
from tests.conftest import fast_settings

EVERY_MINUTE = ScheduleDefinition("ping", "every minute", "noop")


class Clock:
    """A controlled clock, shared by schedulers and their leases."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeEnqueuer:
    """Records sends; refuses a key already sent, like the idempotency middleware for in-flight jobs."""

    def __init__(self, actors: set[str] | None = None, sent: list[tuple[str, str]] | None = None) -> None:
        self.actors = {"noop", "maintenance"} if actors is None else actors
        self.sent = [] if sent is None else sent

    def declared(self, actor: str) -> bool:
        return actor in self.actors

    def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
        if any(key == held for _, held in self.sent):
            return None
        self.sent.append((actor, key))
        return f"m{len(self.sent)}"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC))


@pytest.fixture
def store(sqlite_url: str) -> Engine:
    return create_store_engine(sqlite_url)


def make(store: Engine, clock: Clock, *definitions: ScheduleDefinition, **kwargs: Any) -> Scheduler:
    kwargs.setdefault("enqueuer", FakeEnqueuer())
    kwargs.setdefault("lease", StubLease(holder="only", ttl_seconds=90))
    return Scheduler(store, definitions or (EVERY_MINUTE,), clock=clock, tick_seconds=60, **kwargs)


def row(store: Engine, name: str = "ping") -> Schedule:
    with Session(store) as session:
        return session.execute(select(Schedule).where(Schedule.name == name)).scalar_one()


def ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def test_a_due_tick_is_enqueued_once_and_recorded(store: Engine, clock: Clock) -> None:
    scheduler = make(store, clock)
    assert scheduler.run_once() == 0
    clock.advance(35)
    assert scheduler.run_once() == 1
    assert scheduler.run_once() == 0
    tick = datetime(2026, 11, 25, 10, 1, tzinfo=UTC)
    assert scheduler.enqueuer.sent == [("noop", tick_key("ping", ms(tick)))]  # type: ignore[attr-defined]
    stored = row(store)
    assert (stored.last_tick_at, stored.next_run_at, stored.enqueued_count) == (
        ms(tick),
        ms(tick) + 60_000,
        1,
    )
    assert stored.last_enqueued_at == clock.ms()


def test_two_schedulers_sharing_the_store_enqueue_each_tick_exactly_once(store: Engine, clock: Clock) -> None:
    sent: list[tuple[str, str]] = []
    runners = [
        make(
            store,
            clock,
            enqueuer=FakeEnqueuer(sent=sent),
            lease=SqlLease(store, holder=holder, ttl_seconds=90, clock=clock.ms),
        )
        for holder in ("a", "b")
    ]
    for _ in range(30):  # ten minutes in 20 s steps
        clock.advance(20)
        for runner in runners:
            runner.run_once()
    assert len(sent) == 10
    assert len({key for _, key in sent}) == 10
    assert [r.is_leader for r in runners] == [True, False]


def test_a_follower_takes_over_within_two_ticks_when_the_leader_stops(store: Engine, clock: Clock) -> None:
    sent: list[tuple[str, str]] = []
    a, b = (
        make(
            store,
            clock,
            enqueuer=FakeEnqueuer(sent=sent),
            lease=SqlLease(store, holder=h, ttl_seconds=90, clock=clock.ms),
        )
        for h in ("a", "b")
    )
    clock.advance(40)
    a.run_once()
    b.run_once()
    assert (a.is_leader, b.is_leader, len(sent)) == (True, False, 1)
    takeover = None
    for step in range(1, 13):  # a is dead: only b runs, every 20 s
        clock.advance(20)
        b.run_once()
        if b.is_leader and takeover is None:
            takeover = step * 20
    assert takeover is not None
    assert takeover <= 120
    keys = [key for _, key in sent]
    assert len(keys) == len(set(keys))
    assert row(store).next_run_at == ms(clock.now.replace(second=0)) + 60_000  # no tick left behind


def test_split_brain_leaders_cannot_enqueue_a_tick_twice(store: Engine, clock: Clock) -> None:
    sent: list[tuple[str, str]] = []
    a = make(store, clock, enqueuer=FakeEnqueuer(sent=sent))
    b = make(store, clock, enqueuer=FakeEnqueuer(sent=sent))
    clock.advance(35)
    stale = row(store).next_run_at
    assert stale is not None
    assert a.run_pending() == 1
    assert b._tick(EVERY_MINUTE, stale, clock.now) == 0  # b read the tick before a advanced it
    assert len(sent) == 1
    assert row(store).enqueued_count == 1


def test_disabled_schedules_do_not_enqueue(store: Engine, clock: Clock) -> None:
    scheduler = make(store, clock)
    with store.begin() as connection:
        connection.execute(update(Schedule).values(enabled=False))
    clock.advance(300)
    assert scheduler.run_once() == 0


def test_missed_ticks_are_skipped_by_default(store: Engine, clock: Clock) -> None:
    scheduler = make(store, clock)
    clock.advance(600)  # the scheduler was down for ten minutes
    assert scheduler.run_once() == 0
    assert scheduler.missed["ping"] == 1
    assert row(store).next_run_at == ms(datetime(2026, 11, 25, 10, 11, tzinfo=UTC))


def test_run_once_policy_sends_one_catch_up_then_resumes(store: Engine, clock: Clock) -> None:
    catch_up = ScheduleDefinition("ping", "every minute", "noop", missed="run_once")
    scheduler = make(store, clock, catch_up)
    clock.advance(600)
    assert scheduler.run_once() == 1
    assert row(store).next_run_at == ms(datetime(2026, 11, 25, 10, 11, tzinfo=UTC))
    clock.advance(60)
    assert scheduler.run_once() == 1


def test_a_daily_tick_far_past_its_grace_is_missed(store: Engine, clock: Clock) -> None:
    daily = ScheduleDefinition("ping", "every day at 10:01", "noop")
    scheduler = make(store, clock, daily)
    clock.advance(3600)
    assert scheduler.run_once() == 0
    assert scheduler.missed["ping"] == 1


def test_the_sunday_vacuum_fires(store: Engine, defaults: dict[str, ScheduleDefinition]) -> None:
    clock = Clock(datetime(2026, 11, 28, 23, 59, tzinfo=UTC))  # Saturday night
    scheduler = make(store, clock, defaults["vacuum"])
    clock.now = datetime(2026, 11, 29, 4, 0, 20, tzinfo=UTC)
    assert scheduler.run_once() == 1
    assert row(store, "vacuum").next_run_at == ms(datetime(2026, 12, 6, 4, 0, tzinfo=UTC))


def test_undeclared_actors_are_skipped_counted_and_run_once_declared(store: Engine, clock: Clock) -> None:
    enqueuer = FakeEnqueuer(actors=set())
    scheduler = make(store, clock, enqueuer=enqueuer)
    for _ in range(3):
        clock.advance(60)
        assert scheduler.run_once() == 0
    assert scheduler.undeclared["ping"] == 3
    enqueuer.actors.add("noop")
    clock.advance(60)
    assert scheduler.run_once() == 1


def test_a_tick_the_actor_rejects_is_counted_and_skipped_and_others_still_run(
    store: Engine, clock: Clock
) -> None:
    class Rejecting(FakeEnqueuer):
        def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
            if actor == "maintenance":
                raise ParameterError("source: field required")
            return super().send(actor, kwargs, key)

    broken = ScheduleDefinition("broken", "every minute", "maintenance")
    scheduler = make(store, clock, broken, EVERY_MINUTE, enqueuer=Rejecting())
    clock.advance(35)
    assert scheduler.run_once() == 1
    assert scheduler.failed["broken"] == 1
    assert row(store, "broken").next_run_at == row(store).next_run_at


def test_a_tick_that_fails_to_send_stays_due(store: Engine, clock: Clock) -> None:
    class Down(FakeEnqueuer):
        def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
            raise ConnectionError("broker down")

    scheduler = make(store, clock, enqueuer=Down())
    clock.advance(35)
    due = row(store).next_run_at
    assert scheduler.run_once() == 0
    assert row(store).next_run_at == due
    scheduler.enqueuer = FakeEnqueuer()
    assert scheduler.run_once() == 1


def test_run_now_sends_at_once_and_keeps_the_next_tick(store: Engine, clock: Clock) -> None:
    scheduler = make(store, clock)
    before = row(store).next_run_at
    assert run_now(store, EVERY_MINUTE, scheduler.enqueuer, clock.now) == "m1"
    stored = row(store)
    assert (stored.next_run_at, stored.enqueued_count, stored.last_enqueued_at) == (before, 1, clock.ms())


def test_broker_enqueuer_refuses_a_tick_key_held_by_an_in_flight_job(sqlite_url: str) -> None:
    settings = fast_settings(sqlite_url, sqlite_url)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings)
    try:
        dramatiq.actor(lambda: None, actor_name="sched_probe", queue_name="sched_probe", broker=broker)
        enqueuer = BrokerEnqueuer(broker)
        assert enqueuer.declared("sched_probe")
        assert not enqueuer.declared("price_update")
        assert enqueuer.send("sched_probe", {}, "schedule:probe:1") is not None
        assert enqueuer.send("sched_probe", {}, "schedule:probe:1") is None
    finally:
        broker.close()
        configure(None)
