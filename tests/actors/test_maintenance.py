"""The ``maintenance`` job: parameters checked at send, counts per table in the result, one run at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.rate_limits import ConcurrentRateLimiter
from sqlalchemy import Engine, insert, select

from marketjobs.clock import now_ms
from marketjobs.errors import ParameterError
from marketjobs.jobs import get_job
from marketjobs.jobs.broker import rate_limiter_backend
from marketjobs.store.models import JobRecord
from tests.actors.conftest import actor_module, store
from tests.conftest import records_of, wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]


@pytest.fixture
def module(broker: dramatiq.Broker) -> Iterator[Any]:
    """The ``actors.maintenance`` module, its actor bound to the test's broker for the test."""
    with actor_module(broker, "maintenance", "maintenance") as loaded:
        yield loaded


@pytest.fixture
def maintenance(module: Any) -> Any:
    """The real ``maintenance`` actor."""
    return module.maintenance


def seed_old_jobs(engine: Engine, statuses: list[str], age_days: float = 400) -> None:
    at = now_ms() - int(age_days * 86_400_000)
    rows = [
        {
            "id": f"old-{i}-{status}",
            "job_type": "noop",
            "queue": "default",
            "priority": "normal",
            "status": status,
            "seq": 0,
            "attempts": 1,
            "progress": 100.0,
            "cancel_requested": False,
            "created_at": at,
            "updated_at": at,
        }
        for i, status in enumerate(statuses)
    ]
    with engine.begin() as connection:
        connection.execute(insert(JobRecord), rows)


def finished(broker: dramatiq.Broker, job_id: str, status: str = "completed") -> JobRecord:
    def reached() -> bool:
        records_of(broker).flush()
        try:
            return get_job(store(broker), job_id).status == status
        except Exception:
            return False

    wait_until(reached, timeout=30)
    return get_job(store(broker), job_id)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tasks": ["defrag"]}, r"tasks\.0: Input should be 'retention' or 'vacuum'"),
        ({"tasks": []}, "tasks: List should have at least 1 item"),
        ({"task": "cleanup", "tasks": ["vacuum"]}, "give tasks .* or task .*, not both"),
        ({"task": "compact"}, "task: Input should be 'cleanup', 'retention', 'vacuum' or 'all'"),
        ({"batch_size": 0}, "batch_size: Input should be greater than or equal to 1"),
        ({"older_than": "7d"}, "older_than: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_fail_at_send_time(maintenance: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        maintenance.send(**kwargs)


def test_maintenance_deletes_old_finished_jobs_vacuums_and_reports_counts(
    broker: dramatiq.Broker, start_worker: StartWorker, maintenance: Any
) -> None:
    engine = store(broker)
    seed_old_jobs(engine, ["completed"] * 5 + ["running", "dead"])
    start_worker()
    message = maintenance.send(batch_size=2)
    done = finished(broker, message.message_id)
    result = done.result
    assert result is not None
    assert result["tasks"] == ["retention", "vacuum"]
    assert result["deleted"]["job_records"] == 5
    assert "job_records" in result["vacuumed"]
    assert result["stopped"] is False
    assert done.progress == 100
    with engine.connect() as connection:
        left = set(connection.execute(select(JobRecord.id).where(JobRecord.id.like("old-%"))).scalars())
    assert left == {"old-5-running", "old-6-dead"}
    if broker_kind(broker) == "sqlite":  # the SQL broker's own dead letters are pruned too
        assert result["deleted"]["broker_dead_letters"] == 0
    else:
        assert result["skipped"]["broker_dead_letters"] == "StubBroker keeps no dead letters to expire"


def broker_kind(broker: dramatiq.Broker) -> str:
    return "stub" if type(broker).__name__ == "StubBroker" else "sqlite"


def test_the_schedules_task_spelling_and_dry_run_delete_nothing(
    broker: dramatiq.Broker, start_worker: StartWorker, maintenance: Any
) -> None:
    engine = store(broker)
    seed_old_jobs(engine, ["completed"] * 3)
    start_worker()
    message = maintenance.send(task="cleanup", dry_run=True)
    result = finished(broker, message.message_id).result
    assert result is not None
    assert (result["tasks"], result["dry_run"], result["vacuumed"]) == (["retention"], True, [])
    assert result["deleted"]["job_records"] == 3
    with engine.connect() as connection:
        assert len(connection.execute(select(JobRecord.id).where(JobRecord.id.like("old-%"))).all()) == 3


def test_a_second_maintenance_job_returns_at_once_while_one_runs(
    broker: dramatiq.Broker, start_worker: StartWorker, maintenance: Any, module: Any
) -> None:
    engine = store(broker)
    seed_old_jobs(engine, ["completed"])
    mutex = ConcurrentRateLimiter(  # type: ignore[no-untyped-call]
        rate_limiter_backend(broker), module.MUTEX_KEY, limit=1, ttl=60_000
    )
    start_worker()
    with mutex.acquire():  # stands in for a maintenance job running elsewhere
        message = maintenance.send(tasks=["retention"])
        result = finished(broker, message.message_id).result
    assert result is not None
    assert result["skipped_busy"] == "another maintenance job is running"
    assert result["deleted"] == {}
    with engine.connect() as connection:
        assert connection.execute(select(JobRecord.id).where(JobRecord.id == "old-0-completed")).first()
