"""The SQL result backend on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import time

import pytest
from dramatiq import Message
from dramatiq.results import ResultMissing, ResultTimeout

from marketjobs.results import SQLResultBackend


def message() -> Message[object]:
    return Message(queue_name="q", actor_name="a", args=(), kwargs={}, options={})


def test_stored_result_is_read_back_and_overwritten(database_url: str) -> None:
    backend = SQLResultBackend(database_url)
    sent = message()
    backend.store_result(sent, {"rows": 3}, ttl=10_000)
    assert backend.get_result(sent) == {"rows": 3}
    backend.store_result(sent, [1, 2], ttl=10_000)
    assert backend.get_result(sent) == [1, 2]


def test_missing_and_expired_results_raise(database_url: str) -> None:
    backend = SQLResultBackend(database_url)
    with pytest.raises(ResultMissing):
        backend.get_result(message())
    sent = message()
    backend.store_result(sent, 1, ttl=50)
    time.sleep(0.1)
    with pytest.raises(ResultTimeout):
        backend.get_result(sent, block=True, timeout=200)
