"""The scheduler loop: the lease holder enqueues each due tick of each enabled schedule exactly once.

Each pass reads the enabled schedules whose ``next_run_at`` has come. For each, the leader sends the actor's
message with the idempotency key ``schedule:<name>:<tick epoch ms>``, then advances ``next_run_at`` (with
``last_tick_at``, ``last_enqueued_at``, ``enqueued_count``) in one UPDATE that is a compare-and-set on the
``next_run_at`` it read. Two leaders in a split brain (a stalled leader whose lease expired) both read the
same tick: the key refuses the second send while the first job is in flight, and only one compare-and-set
wins, so a tick is neither lost (the send comes before the tick is recorded) nor enqueued twice.

Missed ticks (no scheduler ran, or the tick is more than ``grace_seconds`` late) follow the schedule's policy:
``skip`` jumps to the next future tick without sending; ``run_once`` sends one catch-up message for the
first missed tick, then resumes. A message is never dropped for arriving late at a worker: retries delay
periodic messages and they still run (periodiq's ``skip_delay`` is not used).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, select, update

from marketjobs import clock as wall_clock
from marketjobs.constants import MESSAGE_OPTION_IDEMPOTENCY_KEY
from marketjobs.errors import DuplicateJobError, NonRetryableError, ScheduleError
from marketjobs.store.dialects import insert_ignore
from marketjobs.store.schedules import Schedule
from scheduler.definitions import ScheduleDefinition
from scheduler.leader import LeaderLease

__all__ = ["BrokerEnqueuer", "Enqueuer", "Scheduler", "run_now", "sync_schedules", "tick_key"]

logger = logging.getLogger(__name__)

#: A clock returning the current time as an aware datetime.
Clock = Callable[[], datetime]


def _now() -> datetime:
    return wall_clock.now()


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def _at(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def tick_key(name: str, tick_ms: int) -> str:
    """The idempotency key of one tick of a schedule: the same in every scheduler process."""
    return f"schedule:{name}:{tick_ms}"


class Enqueuer(Protocol):
    """Sends messages by actor name; the runner's only link to a broker."""

    def declared(self, actor: str) -> bool:
        """Whether ``actor`` is declared on the broker."""

    def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
        """Sends one message with idempotency ``key``; its id, or None when the key is already held."""


class BrokerEnqueuer:
    """An :class:`Enqueuer` over a Dramatiq broker built by ``broker_from_url`` (idempotency installed)."""

    def __init__(self, broker: Any) -> None:
        self.broker = broker

    def declared(self, actor: str) -> bool:
        """Whether ``actor`` is declared on the broker."""
        return actor in self.broker.actors

    def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
        """Sends one message with idempotency ``key``; its id, or None when the key is already held."""
        options = {MESSAGE_OPTION_IDEMPOTENCY_KEY: key}
        try:
            message = self.broker.get_actor(actor).send_with_options(kwargs=kwargs, **options)
        except DuplicateJobError:
            return None
        return str(message.message_id)


def sync_schedules(engine: Engine, definitions: Iterable[ScheduleDefinition], now: datetime) -> None:
    """Writes the definitions to ``schedules``: new ones enabled, changed spellings rescheduled from now."""
    with engine.begin() as connection:
        for definition in definitions:
            values: dict[str, Any] = {
                "spelling": definition.spelling,
                "timezone": definition.timezone,
                "actor": definition.actor,
                "kwargs": definition.kwargs,
                "missed": definition.missed,
            }
            first = _ms(definition.next_after(now))
            row = {
                **values,
                "name": definition.name,
                "enabled": True,
                "next_run_at": first,
                "enqueued_count": 0,
            }
            if insert_ignore(connection, Schedule.__table__, row):  # type: ignore[arg-type]
                continue
            stored = connection.execute(
                select(Schedule.spelling, Schedule.timezone).where(Schedule.name == definition.name)
            ).one()
            if (stored.spelling, stored.timezone) != (definition.spelling, definition.timezone):
                values["next_run_at"] = first
            connection.execute(update(Schedule).where(Schedule.name == definition.name).values(**values))


def run_now(engine: Engine, definition: ScheduleDefinition, enqueuer: Enqueuer, now: datetime) -> str:
    """Sends the schedule's message at once (outside its ticks) and counts it; returns the message id."""
    if not enqueuer.declared(definition.actor):
        raise ScheduleError(
            f"schedule {definition.name!r} sends actor {definition.actor!r}, which is not declared; "
            "import its module in the actors package first"
        )
    message_id = enqueuer.send(
        definition.actor, definition.kwargs, f"schedule:{definition.name}:now:{_ms(now)}"
    )
    if message_id is None:
        raise ScheduleError(f"schedule {definition.name!r} was run just now; wait a moment and retry")
    with engine.begin() as connection:
        connection.execute(
            update(Schedule)
            .where(Schedule.name == definition.name)
            .values(last_enqueued_at=_ms(now), enqueued_count=Schedule.enqueued_count + 1)
        )
    return message_id


class Scheduler:
    """One scheduler process: ``run_once`` renews or takes the lease and, when leading, enqueues due ticks."""

    def __init__(
        self,
        engine: Engine,
        definitions: Iterable[ScheduleDefinition],
        enqueuer: Enqueuer,
        lease: LeaderLease,
        *,
        tick_seconds: float = 60.0,
        grace_seconds: float | None = None,
        clock: Clock = _now,
    ) -> None:
        self.engine = engine
        self.definitions = {definition.name: definition for definition in definitions}
        self.enqueuer = enqueuer
        self.lease = lease
        self.tick_seconds = tick_seconds
        #: A tick later than this is missed and follows the schedule's policy (default: two ticks).
        self.grace = timedelta(seconds=2 * tick_seconds if grace_seconds is None else grace_seconds)
        self.clock = clock
        #: Messages sent, ticks missed, sends that failed and ticks skipped (undeclared actor), per schedule.
        self.enqueued: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.missed: Counter[str] = Counter()
        self.undeclared: Counter[str] = Counter()
        self.is_leader = False
        sync_schedules(engine, self.definitions.values(), clock())

    def run_once(self) -> int:
        """Takes or renews the lease; when leading, enqueues every due tick. Returns messages sent."""
        leader = self.lease.acquire()
        if leader != self.is_leader:
            logger.info("scheduler %s %s the lead", self.lease.holder, "took" if leader else "lost")
        self.is_leader = leader
        return self.run_pending() if leader else 0

    def run_pending(self) -> int:
        """Enqueues every due tick of every enabled schedule (call only while holding the lease)."""
        now = self.clock()
        reader = self.engine.execution_options(marketjobs_read_only=True)
        with reader.connect() as connection:
            due = connection.execute(
                select(Schedule.name, Schedule.next_run_at).where(
                    Schedule.enabled.is_(True), Schedule.next_run_at <= _ms(now)
                )
            ).all()
        sent = 0
        for name, next_run_at in due:
            definition = self.definitions.get(name)
            if definition is None or next_run_at is None:
                continue
            try:
                sent += self._tick(definition, next_run_at, now)
            except NonRetryableError as exc:  # e.g. kwargs the actor rejects: retrying the tick cannot help
                self.failed[name] += 1
                logger.error("schedule %r tick not sent: %s; fix its kwargs in the config", name, exc)
                self._advance(name, next_run_at, definition.next_after(now), sent_tick=None, now=now)
            except Exception:  # e.g. the broker is down: the tick stays due and is retried next pass
                self.failed[name] += 1
                logger.exception("schedule %r tick not sent; retrying on the next pass", name)
        return sent

    def run_forever(self, stop: threading.Event) -> None:
        """Runs passes until ``stop`` is set, waking at least every third of the lease to renew it."""
        interval = min(self.tick_seconds, self.lease.renew_seconds)
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception:
                    logger.exception("scheduler pass failed; retrying in %.1f s", interval)
                stop.wait(interval)
        finally:
            if self.is_leader:
                self.lease.release()

    def _tick(self, definition: ScheduleDefinition, tick_ms: int, now: datetime) -> int:
        name, tick = definition.name, _at(tick_ms)
        following = definition.next_after(tick)
        late = now - tick > self.grace or following <= now
        if not self.enqueuer.declared(definition.actor):
            if not self.undeclared[name]:
                logger.warning(
                    "schedule %r skipped: actor %r is not declared (it runs once the actor lands)",
                    name,
                    definition.actor,
                )
            self.undeclared[name] += 1
            return self._advance(name, tick_ms, definition.next_after(now), sent_tick=None, now=now)
        if late:
            self.missed[name] += 1
            if definition.missed == "skip":
                logger.warning("schedule %r missed its tick at %s; skipping to the next", name, tick)
                return self._advance(name, tick_ms, definition.next_after(now), sent_tick=None, now=now)
            following = definition.next_after(now)  # run_once: one catch-up (keyed by the first missed tick)
        sent_tick = _ms(tick)
        message_id = self.enqueuer.send(definition.actor, definition.kwargs, tick_key(name, sent_tick))
        if message_id is None:
            logger.info("schedule %r tick %s was already enqueued by another scheduler", name, tick)
            return self._advance(name, tick_ms, following, sent_tick=None, now=now)
        logger.info(
            "schedule %r enqueued %s for %s (lag %.1f s)",
            name,
            message_id,
            tick,
            (now - tick).total_seconds(),
        )
        return self._advance(name, tick_ms, following, sent_tick=sent_tick, now=now)

    def _advance(
        self, name: str, read_ms: int, following: datetime, *, sent_tick: int | None, now: datetime
    ) -> int:
        values: dict[str, Any] = {"next_run_at": _ms(following)}
        if sent_tick is not None:
            values.update(
                last_tick_at=sent_tick, last_enqueued_at=_ms(now), enqueued_count=Schedule.enqueued_count + 1
            )
        with self.engine.begin() as connection:
            won = connection.execute(
                update(Schedule)
                .where(Schedule.name == name, Schedule.next_run_at == read_ms)
                .values(**values)
            ).rowcount
        if sent_tick is None:
            return 0
        if won != 1:
            logger.warning(
                "schedule %r tick %s was advanced by another scheduler meanwhile", name, _at(read_ms)
            )
        self.enqueued[name] += 1
        return 1
