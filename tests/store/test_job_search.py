"""Job search: the worker filter's forms, and cursor pages that walk ties on created_at exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from marketjobs.store.job_search import JobFilter, search_jobs
from marketjobs.store.upsert import insert_missing
from tests.store.test_upsert import NOW_MS, row

#: (id, hostname, pid) of the records; a-1 and a-2 ran in one process, b-1 on another host with the same pid.
_RAN = [("a-1", "alpha", 4242), ("a-2", "alpha", 4242), ("a-3", "alpha", 77), ("b-1", "beta", 4242)]


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        ("alpha", {"a-1", "a-2", "a-3"}),
        ("4242", {"a-1", "a-2", "b-1"}),
        ("alpha:4242:Thread-3", {"a-1", "a-2"}),  # a record's worker id names its process
        ("alpha:4242:1796307600000", {"a-1", "a-2"}),  # so does the worker registry's
        ("alpha:x:y", set()),  # not a process: taken as a host name
    ],
)
def test_worker_filter_takes_a_host_a_pid_or_a_process(
    engine: Engine, worker: str, expected: set[str]
) -> None:
    with engine.begin() as connection:
        insert_missing(
            connection,
            [
                row(job_id, "completed", 7, hostname=host, pid=pid, worker_id=f"{host}:{pid}:Thread-1")
                for job_id, host, pid in _RAN
            ],
        )
    found = search_jobs(engine, JobFilter(worker=worker), limit=10)
    assert {r.id for r in found} == expected


def test_cursor_pages_walk_rows_sharing_a_created_at_exactly_once(engine: Engine) -> None:
    ids = [f"job-{n:02d}" for n in range(12)]
    with engine.begin() as connection:
        insert_missing(
            connection,
            [row(job_id, "completed", 7, created_at=NOW_MS + n // 5) for n, job_id in enumerate(ids)],
        )
    seen: list[str] = []
    after = None
    while page := search_jobs(engine, JobFilter(), after=after, limit=4):
        seen += [r.id for r in page]
        after = (page[-1].created_at, page[-1].id)
    expected = sorted(ids, key=lambda job_id: (NOW_MS + ids.index(job_id) // 5, job_id), reverse=True)
    assert seen == expected
