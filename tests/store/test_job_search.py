"""Job search: the worker filter's forms, cursor pages that walk ties on created_at exactly once, and text
search through the trigram indexes (SQLite FTS5, PostgreSQL pg_trgm) kept in step with every write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, event

from marketjobs.store import job_search
from marketjobs.store.engine import create_store_engine
from marketjobs.store.job_search import JobFilter, count_jobs, job_ids, search_jobs
from marketjobs.store.maintenance import vacuum
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import JobRecord
from marketjobs.store.upsert import insert_missing, upsert_newer
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


#: id -> (parameters, error) of the records the text-search tests store.
_TEXTS: dict[str, tuple[dict[str, object], str | None]] = {
    "t-1": ({"args": [], "kwargs": {"symbol": "AAPL", "indicators": ["RSI_14"]}}, None),
    "t-2": ({"args": [], "kwargs": {"symbol": "MSFT"}}, "ValueError: Growth-7 data missing"),
    "t-3": ({"args": ["100%_sure"], "kwargs": {}}, None),
    "t-4": ({"args": [], "kwargs": {"note": 'say "hi"'}}, None),
}


def _store_texts(engine: Engine) -> None:
    with engine.begin() as connection:
        insert_missing(
            connection,
            [
                row(job_id, "completed", 7, created_at=NOW_MS + n, parameters=parameters, error=error)
                for n, (job_id, (parameters, error)) in enumerate(_TEXTS.items())
            ],
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aapl", {"t-1"}),  # any case
        ("SI_1", {"t-1"}),  # inside a word
        ("growth-7", {"t-2"}),  # in the error only
        ("ms", {"t-2"}),  # shorter than a trigram
        ("0%_", {"t-3"}),  # LIKE's wildcards are plain characters
        ("_sure", {"t-3"}),
        ('"hi', {"t-4"}),  # so is FTS5's quote
        ("nosuch", set()),
    ],
)
def test_text_search_finds_any_substring_of_parameters_or_error(
    engine: Engine, text: str, expected: set[str]
) -> None:
    _store_texts(engine)
    assert {r.id for r in search_jobs(engine, JobFilter(text=text), limit=10)} == expected


def test_text_search_follows_errors_set_later_and_rows_deleted_and_vacuum(engine: Engine) -> None:
    _store_texts(engine)
    with engine.begin() as connection:
        # a later event of t-1 fails it; t-2's error is replaced by a retry's outcome
        upsert_newer(connection, [row("t-1", "failed", 9, error="TimeoutError: quote feed stalled")])
        upsert_newer(connection, [row("t-2", "completed", 9, error=None)])
        connection.execute(delete(JobRecord).where(JobRecord.id == "t-3"))
    assert {r.id for r in search_jobs(engine, JobFilter(text="feed stall"), limit=10)} == {"t-1"}
    assert search_jobs(engine, JobFilter(text="growth-7"), limit=10) == []
    assert search_jobs(engine, JobFilter(text="100%"), limit=10) == []
    vacuum(engine)  # SQLite's VACUUM must keep the rowids the FTS5 index refers to
    assert {r.id for r in search_jobs(engine, JobFilter(text="AAPL"), limit=10)} == {"t-1"}
    assert {r.id for r in search_jobs(engine, JobFilter(text="say"), limit=10)} == {"t-4"}


@pytest.mark.parametrize("text", ["growth", "ms"])  # through the trigram index, and shorter
def test_text_search_is_one_condition_among_the_others(engine: Engine, text: str) -> None:
    _store_texts(engine)  # t-2 matches in its parameters ("MSFT") and in its error ("Growth-7")
    assert search_jobs(engine, JobFilter(text=text, statuses=["dead"]), limit=10) == []
    found = search_jobs(engine, JobFilter(text=text, statuses=["completed"]), limit=10)
    assert [r.id for r in found] == ["t-2"]


@pytest.mark.parametrize("common_from", [1, 10_000])  # SQLite walks the page's index / sorts the matches
def test_text_search_pages_are_the_same_whichever_way_sqlite_plans_them(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, common_from: int
) -> None:
    monkeypatch.setattr(job_search, "COMMON_MATCHES", common_from)
    _store_texts(engine)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    first = search_jobs(engine, JobFilter(text="args"), limit=3)
    walked = any("+job_records.rowid" in statement for statement in sent)
    assert walked == (engine.dialect.name == "sqlite" and common_from == 1)
    assert [r.id for r in first] == ["t-4", "t-3", "t-2"]
    rest = search_jobs(engine, JobFilter(text="args"), after=(first[-1].created_at, first[-1].id), limit=3)
    assert [r.id for r in rest] == ["t-1"]
    assert search_jobs(engine, JobFilter(text="nosuch"), limit=3) == []


def test_text_search_reads_every_row_where_sqlite_made_no_trigram_table(tmp_path: Path) -> None:
    # SQLite before 3.34 has no trigram tokenizer: migration 0013 leaves the table out there.
    url = f"sqlite:///{tmp_path / 'old-sqlite.db'}"
    upgrade(url)
    engine = create_store_engine(url)
    with engine.begin() as connection:
        for trigger in ("insert", "update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER job_records_text_{trigger}")
        connection.exec_driver_sql("DROP TABLE job_records_text")
    _store_texts(engine)
    assert {r.id for r in search_jobs(engine, JobFilter(text="aapl"), limit=10)} == {"t-1"}
    assert count_jobs(engine, JobFilter(text="growth-7")) == 1
    assert job_ids(engine, JobFilter(text="args"), limit=10) == ["t-4", "t-3", "t-2", "t-1"]
