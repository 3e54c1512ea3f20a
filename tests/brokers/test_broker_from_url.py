"""broker_from_url picks the broker by scheme and installs marketjobs' middleware."""

from __future__ import annotations

import dramatiq
import pytest

from marketjobs.brokers import queue_depths
from marketjobs.errors import OptionError, UnsupportedBrokerError
from marketjobs.jobs.broker import broker_from_url
from marketjobs.jobs.idempotency import Idempotency
from marketjobs.jobs.records import JobRecords
from marketjobs.jobs.retries import Retries
from tests.conftest import fast_settings


def test_stub_broker_gets_records_retries_and_idempotency(sqlite_url: str) -> None:
    broker = broker_from_url("stub://", settings=fast_settings(sqlite_url))
    kinds = [type(m) for m in broker.middleware]
    assert Retries in kinds
    assert JobRecords in kinds
    assert Idempotency in kinds
    # after_* hooks run in reverse order: Retries' must run first so records see message.failed.
    assert kinds.index(JobRecords) < kinds.index(Retries)
    assert sum(isinstance(m, dramatiq.middleware.Retries) for m in broker.middleware) == 1


def test_settings_set_the_default_time_limit_and_retries(sqlite_url: str) -> None:
    settings = fast_settings(sqlite_url, time_limit_seconds=42, max_retries=7)
    broker = broker_from_url("stub://", settings=settings)
    time_limit = next(m for m in broker.middleware if isinstance(m, dramatiq.middleware.TimeLimit))
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    assert (time_limit.time_limit, retries.max_retries) == (42_000, 7)


def test_unknown_scheme_names_the_setting_to_fix(sqlite_url: str) -> None:
    with pytest.raises(UnsupportedBrokerError, match="MARKETJOBS_BROKER_URL"):
        broker_from_url("kafka://localhost", settings=fast_settings(sqlite_url))


def test_invalid_default_priority_fails_when_the_actor_is_declared(sqlite_url: str) -> None:
    broker = broker_from_url("stub://", settings=fast_settings(sqlite_url))
    with pytest.raises(OptionError, match="urgent"):
        dramatiq.actor(lambda: None, actor_name="bad", broker=broker, default_priority="urgent")


def test_queue_depth_counts_ready_and_delayed_messages_per_priority_queue(sqlite_url: str) -> None:
    broker = broker_from_url("stub://", settings=fast_settings(sqlite_url))

    @dramatiq.actor(queue_name="depth", broker=broker)
    def job() -> None:
        pass

    job.send()
    job.send_with_options(priority="high")
    job.send_with_options(delay=60_000)
    depths = {d.queue: d for d in queue_depths(broker)}
    assert (depths["depth"].ready, depths["depth"].delayed) == (1, 1)
    assert depths["depth.high"].ready == 1
    assert depths["depth.low"].total == 0
