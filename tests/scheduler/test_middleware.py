"""PeriodicMiddleware: periodiq's ticks carry the kwargs of the schedule that fired; none is skipped."""

from __future__ import annotations

from typing import Any

import dramatiq
import pendulum
import periodiq  # type: ignore[import-untyped]
import pytest
from dramatiq.brokers.stub import StubBroker
from pydantic import BaseModel, ConfigDict

from marketjobs.jobs.params import ValidatedActor
from scheduler.middleware import SCHEDULED_AT_OPTION, PeriodicMiddleware
from scheduler.periodic import Periodic
from scheduler.periodiq_compat import cron

NEW_YORK = "America/New_York"


class TaskParams(BaseModel):
    """A required parameter, like price_update's ``source``: a tick without kwargs would be refused."""

    model_config = ConfigDict(extra="forbid")
    task: str


class _TaskActor(ValidatedActor):
    params_model = TaskParams


@pytest.fixture
def broker() -> StubBroker:
    broker = StubBroker(middleware=[PeriodicMiddleware()])
    broker.emit_after("process_boot")
    return broker


def declare(broker: StubBroker, periodic: Periodic, calls: list[str] | None = None) -> Any:
    def tidy(**kwargs: Any) -> None:
        """A job with a required ``task``."""
        if calls is not None:
            calls.append(kwargs["task"])

    return dramatiq.actor(broker=broker, actor_class=_TaskActor, periodic=periodic)(tidy)


def sent(broker: StubBroker) -> list[dramatiq.Message[Any]]:
    queue = broker.queues["default"]
    return [dramatiq.Message.decode(queue.get_nowait()) for _ in range(queue.qsize())]


DAILY_AND_SUNDAY = cron("every day at 03:00", timezone=NEW_YORK, kwargs={"task": "cleanup"}) | cron(
    "every sunday at 04:00", timezone=NEW_YORK, name="vacuum", kwargs={"task": "vacuum"}
)


def test_a_periodiq_tick_carries_the_kwargs_of_the_schedule_that_fired(
    broker: StubBroker, frozen_periodiq: dict[str, Any]
) -> None:
    actor = declare(broker, DAILY_AND_SUNDAY)
    periodiq.Scheduler(actors=[actor]).schedule()  # Sunday 04:00 New York
    frozen_periodiq["now"] = pendulum.datetime(2026, 11, 30, 3, 0, tz=NEW_YORK)
    periodiq.Scheduler(actors=[actor]).schedule()  # Monday 03:00
    messages = sent(broker)
    assert [message.kwargs for message in messages] == [{"task": "vacuum"}, {"task": "cleanup"}]
    assert all(SCHEDULED_AT_OPTION in message.options for message in messages)


def test_schedules_firing_in_the_same_minute_send_one_message_each(
    broker: StubBroker, frozen_periodiq: dict[str, Any]
) -> None:
    both = cron("0 4 * * *", timezone=NEW_YORK, kwargs={"task": "a"}) | cron(
        "0 4 * * sun", timezone=NEW_YORK, name="b", kwargs={"task": "b"}
    )
    periodiq.Scheduler(actors=[declare(broker, both)]).schedule()
    assert sorted(message.kwargs["task"] for message in sent(broker)) == ["a", "b"]


def test_sends_with_arguments_or_outside_a_tick_are_unchanged(broker: StubBroker) -> None:
    actor = declare(broker, DAILY_AND_SUNDAY)
    actor.send(task="by hand")
    actor.send_with_options(kwargs={"task": "mine"}, scheduled_at="2026-11-29T04:00:00-05:00")
    assert [message.kwargs for message in sent(broker)] == [{"task": "by hand"}, {"task": "mine"}]


def test_declaring_an_actor_again_still_sends_one_message_per_tick(
    broker: StubBroker, frozen_periodiq: dict[str, Any]
) -> None:
    actor = declare(broker, DAILY_AND_SUNDAY)
    broker.declare_actor(actor)
    periodiq.Scheduler(actors=[actor]).schedule()
    assert [message.kwargs for message in sent(broker)] == [{"task": "vacuum"}]


def test_a_late_periodiq_tick_still_runs(broker: StubBroker) -> None:
    calls: list[str] = []
    actor = declare(broker, DAILY_AND_SUNDAY, calls)
    an_hour_ago = str(pendulum.now().subtract(hours=1))
    actor.send_with_options(kwargs={"task": "late"}, scheduled_at=an_hour_ago)
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        broker.join(actor.queue_name, timeout=10_000)
        worker.join()
    finally:
        worker.stop()
    assert calls == ["late"]
