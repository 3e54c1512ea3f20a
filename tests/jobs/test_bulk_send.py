"""Sending many messages at once: ``send_many``, ``enqueue_all`` and ``run_group`` on the SQL broker (one
``enqueue_many``) and on the stub broker (one ``enqueue`` each), hooks and group callbacks as for sends."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
from pydantic import BaseModel

from marketjobs.errors import ParameterError
from marketjobs.jobs import get_job
from marketjobs.jobs.bulk_send import enqueue_all, run_group, send_many
from marketjobs.jobs.params import ValidatedActor
from marketjobs.store.engine import create_store_engine
from tests.conftest import records_of, wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite", "postgres"], indirect=True)


class Ran:
    """What the test actors ran, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)

    def sorted(self) -> list[Any]:
        with self.lock:
            return sorted(self.items)


class _Params(BaseModel):
    n: int


class _Validated(ValidatedActor):
    params_model = _Params


def actors(broker: dramatiq.Broker, ran: Ran) -> tuple[Any, Any, Any]:
    """A plain actor, a validated one and a group callback, on a queue of their own."""
    queue = f"bulk{uuid.uuid4().hex[:8]}"

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}_work")
    def work(*args: Any, **kwargs: Any) -> None:
        ran.add(("work", args, tuple(sorted(kwargs.items()))))

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}_valid", actor_class=_Validated)
    def valid(n: int) -> None:
        ran.add(("valid", n))

    @dramatiq.actor(broker=broker, queue_name=queue, actor_name=f"{queue}_done")
    def done() -> None:
        ran.add(("done",))

    return work, valid, done


def spy_enqueue_many(broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the broker's ``enqueue_many`` calls (none on brokers without one)."""
    calls: list[int] = []
    original = getattr(broker, "enqueue_many", None)
    if original is not None:

        def enqueue_many(messages: Any, *, delay: int | None = None) -> Any:
            calls.append(len(messages))
            return original(messages, delay=delay)

        monkeypatch.setattr(broker, "enqueue_many", enqueue_many)
    return calls


def test_send_many_sends_one_message_per_call_with_the_options_and_a_record_each(
    broker: dramatiq.Broker, start_worker: Callable[..., dramatiq.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = Ran()
    work, _, _ = actors(broker, ran)
    calls = spy_enqueue_many(broker, monkeypatch)
    sent = send_many(work, [{"n": 1}, ((2,), {}), ((3,), {"x": "y"})], priority="high")
    assert [m.options["priority"] for m in sent] == ["high"] * 3
    assert calls == ([3] if hasattr(broker, "enqueue_many") else [])
    records_of(broker).flush()
    engine = create_store_engine(records_of(broker).settings.database_url)
    assert [get_job(engine, m.message_id).status for m in sent] == ["pending"] * 3
    start_worker()
    wait_until(lambda: len(ran.sorted()) == 3)
    assert ran.sorted() == [
        ("work", (), (("n", 1),)),
        ("work", (2,), ()),
        ("work", (3,), (("x", "y"),)),
    ]


def test_send_many_validates_every_message_before_sending_any(broker: dramatiq.Broker) -> None:
    _, valid, _ = actors(broker, Ran())
    with pytest.raises(ParameterError):
        send_many(valid, [{"n": 1}, {"n": "not a number"}])
    records_of(broker).flush()
    assert broker.queue_depth(valid.queue_name).ready == 0  # type: ignore[attr-defined]


def test_enqueue_all_of_nothing_sends_nothing(broker: dramatiq.Broker) -> None:
    assert enqueue_all(broker, []) == []


def test_run_group_sends_the_group_together_and_its_callback_runs_once_all_are_done(
    broker: dramatiq.Broker, start_worker: Callable[..., dramatiq.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = Ran()
    work, _, done = actors(broker, ran)
    calls = spy_enqueue_many(broker, monkeypatch)
    group = dramatiq.group([work.message(n) for n in range(4)], broker=broker)  # type: ignore[no-untyped-call]
    group.add_completion_callback(done.message())  # type: ignore[no-untyped-call]
    assert run_group(group) is group
    assert calls == ([4] if hasattr(broker, "enqueue_many") else [])
    start_worker()
    wait_until(lambda: ("done",) in ran.sorted())
    assert ran.sorted() == [("done",)] + [("work", (n,), ()) for n in range(4)]
