"""Searching job records: the filters operators ask for, with keyset (cursor) pagination.

One :class:`JobFilter` serves the HTTP API, the operator page and bulk actions: status, job type, queue,
priority, a creation-time range, the worker (host, pid or worker id), and text searched in the parameters
and the error. Pages are ordered newest first by ``(created_at, id)`` and continue from a cursor (the last
row's pair), so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from marketjobs.store.engine import READ_ONLY_OPTION
from marketjobs.store.models import JobRecord

__all__ = ["Cursor", "JobFilter", "count_jobs", "job_ids", "search_jobs"]

#: (created_at, id) of the last row of a page.
Cursor = tuple[int, str]


@dataclass(frozen=True)
class JobFilter:
    """Which job records to list or act on; empty fields match everything."""

    statuses: Sequence[str] = ()
    job_types: Sequence[str] = ()
    queues: Sequence[str] = ()
    priorities: Sequence[str] = ()
    #: Created at or after this time, epoch ms.
    since_ms: int | None = None
    #: Created before this time, epoch ms.
    until_ms: int | None = None
    #: Who ran it: a host name, a pid, or a process as ``host:pid[:...]`` (a worker id) (exact).
    worker: str | None = None
    #: Text searched (case-insensitively) in the parameters and the error.
    text: str | None = None
    #: Finished before this time, epoch ms (e.g. dead letters older than a day).
    finished_before_ms: int | None = None
    #: True: only jobs already retried as a new job; False: only those not retried yet.
    retried: bool | None = None
    #: Only these job ids.
    ids: Sequence[str] = ()

    @property
    def is_empty(self) -> bool:
        """True when the filter matches every record."""
        return all(
            value is None or (isinstance(value, str | list | tuple) and not value)
            for value in (getattr(self, f.name) for f in fields(self))
        )

    def conditions(self, *, text_walk: bool = False, text_index: bool = True) -> list[ColumnElement[bool]]:
        """The WHERE conditions of this filter (``text_walk``, ``text_index``: see :class:`TextMatch`)."""
        record = JobRecord
        found: list[ColumnElement[bool]] = []
        for field_column, values in (
            (record.status, self.statuses),
            (record.job_type, self.job_types),
            (record.queue, self.queues),
            (record.priority, self.priorities),
        ):
            if values:
                found.append(field_column.in_(list(values)))
        if self.since_ms is not None:
            found.append(record.created_at >= self.since_ms)
        if self.until_ms is not None:
            found.append(record.created_at < self.until_ms)
        if self.worker:
            found.append(_worker(self.worker))
        if self.ids:
            found.append(record.id.in_(list(self.ids)))
        if self.finished_before_ms is not None:
            found.append(record.finished_at < self.finished_before_ms)
        if self.retried is not None:
            found.append(record.retried_as.is_not(None) if self.retried else record.retried_as.is_(None))
        if self.text:
            found.append(TextMatch(self.text, walk=text_walk, indexed=text_index))
        return found


class TextMatch(ColumnElement[bool]):
    """Text anywhere in a record's parameters or error, case-insensitively, through the trigram index.

    Both ask ``job_records_text`` (migration 0013) for the records holding the text: on SQLite an FTS5
    trigram table, on PostgreSQL a lower-cased copy of the parameters and error with pg_trgm GIN indexes
    (``LIKE '%text%'``). MariaDB filters ``lower(...) LIKE '%text%'``, reading every row. Trigrams need
    three characters: shorter text is a LIKE on SQLite (PostgreSQL's index then reads every entry).

    SQLite plans a page one of two ways (``walk``): fetch every matching row and sort them (cheap for rare
    text: 0.03 ms with no match at 1,000,000 records), or walk the page's index newest first and keep rows
    whose rowid is among the matches (cheap for common text: 27 ms instead of 141 ms for a term in 13% of
    the records). :func:`search_jobs` counts matches up to :data:`COMMON_MATCHES` to choose.
    """

    inherit_cache = True
    _traverse_internals = [
        ("pattern_match", InternalTraversal.dp_clauseelement),
        ("trigram_match", InternalTraversal.dp_clauseelement),
        ("postgres_match", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()
    #: A condition, not a boolean column: no ``= 1`` after it on databases without a boolean type.
    _is_implicitly_boolean = True

    def __init__(self, text: str, *, walk: bool = False, indexed: bool = True) -> None:
        record = JobRecord
        pattern = f"%{_escape(text.lower())}%"
        self.pattern_match: ColumnElement[bool] = or_(
            func.lower(cast(record.parameters, String)).like(pattern, escape="\\"),
            func.lower(record.error).like(pattern, escape="\\"),
        )
        texts = table(TEXT_TABLE, column("id"), column("parameters"), column("error"))
        lowered = select(texts.c.id).where(
            or_(texts.c.parameters.like(pattern, escape="\\"), texts.c.error.like(pattern, escape="\\"))
        )
        self.postgres_match: ColumnElement[bool] = record.id.in_(lowered.scalar_subquery())
        self.trigram_match: ColumnElement[bool] = self.pattern_match
        if indexed and len(text) >= TRIGRAM:
            phrase = _phrase(text)
            matching: Select[tuple[Any]] = (
                select(literal_column("rowid"))
                .select_from(table(TEXT_TABLE))
                .where(literal_column(TEXT_TABLE).op("MATCH")(bindparam(None, phrase, type_=String)))
            )
            # A unary + keeps SQLite from looking rows up by rowid, so it walks an index in page order.
            rowid: ColumnElement[int] = literal_column(
                ("+" if walk else "") + f"{JobRecord.__tablename__}.rowid"
            )
            self.trigram_match = rowid.in_(matching.scalar_subquery())


#: Characters a trigram index needs to look text up.
TRIGRAM = 3
#: The SQLite FTS5 table of migration 0013.
TEXT_TABLE = "job_records_text"
#: Matches from which a page walks its index rather than sorting every match (both take a few ms here at
#: 1,000,000 records; a walk reads about 50 / share-of-matches rows, 25,000 at this count).
COMMON_MATCHES = 2000


#: Per store URL: whether it has the FTS5 table (SQLite before 3.34 has no trigram tokenizer, and
#: migration 0013 made none there).
_TEXT_INDEX: dict[str, bool] = {}


def _has_text_index(connection: Connection) -> bool:
    """False on a SQLite store without ``job_records_text`` (its SQLite predates the trigram tokenizer)."""
    if connection.dialect.name != "sqlite":
        return True
    url = str(connection.engine.url)
    if url not in _TEXT_INDEX:
        _TEXT_INDEX[url] = (
            connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TEXT_TABLE,)
            ).first()
            is not None
        )
    return _TEXT_INDEX[url]


def _text_is_common(connection: Connection, text: str) -> bool:
    """True when SQLite's trigram index holds at least :data:`COMMON_MATCHES` records with ``text``."""
    if connection.dialect.name != "sqlite" or len(text) < TRIGRAM or not _has_text_index(connection):
        return False
    phrase = _phrase(text)
    counted = connection.exec_driver_sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {TEXT_TABLE} WHERE {TEXT_TABLE} MATCH ? LIMIT ?)",
        (phrase, COMMON_MATCHES),
    ).scalar_one()
    return int(counted) >= COMMON_MATCHES


@compiles(TextMatch)
def _compile_text_match(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = {"sqlite": element.trigram_match, "postgresql": element.postgres_match}.get(
        compiler.dialect.name, element.pattern_match
    )
    return f"({compiler.process(chosen, **kw)})"


def _worker(worker: str) -> ColumnElement[bool]:
    """One indexable condition per form (an OR across columns would scan every row): digits are a pid;
    ``host:pid[:...]`` names a process, as a record's worker id (``host:pid:thread``) or the worker
    registry's (``host:pid:started``) do; anything else is a host name."""
    record = JobRecord
    if worker.isdigit():
        return record.pid == int(worker)
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if pid.isdigit():
        return and_(record.hostname == host, record.pid == int(pid))
    return record.hostname == worker


def _phrase(text: str) -> str:
    """``text`` as one FTS5 phrase (a substring, to the trigram tokenizer)."""
    return '"' + text.replace('"', '""') + '"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _query(job_filter: JobFilter, *, text_walk: bool = False, text_index: bool = True) -> Select[JobRecord]:
    return select(JobRecord).where(*job_filter.conditions(text_walk=text_walk, text_index=text_index))


def search_jobs(
    engine: Engine, job_filter: JobFilter, *, after: Cursor | None = None, limit: int = 50
) -> list[JobRecord]:
    """Up to ``limit`` records matching ``job_filter``, newest first, after the cursor ``after``."""
    with (
        engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection,
        Session(bind=connection) as session,
    ):
        walk = job_filter.text is not None and _text_is_common(connection, job_filter.text)
        query = _query(job_filter, text_walk=walk, text_index=_has_text_index(connection))
        query = query.order_by(JobRecord.created_at.desc(), JobRecord.id.desc()).limit(limit)
        if after is not None:
            created, job_id = after
            # The first condition is the index range; the second breaks ties (an OR alone is no range).
            query = query.where(
                JobRecord.created_at <= created,
                or_(
                    JobRecord.created_at < created,
                    and_(JobRecord.created_at == created, JobRecord.id < job_id),
                ),
            )
        return list(session.scalars(query))


def count_jobs(engine: Engine, job_filter: JobFilter) -> int:
    """How many records match ``job_filter`` (the dry run of a bulk action)."""
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        conditions = job_filter.conditions(text_index=_has_text_index(connection))
        query = select(func.count()).select_from(JobRecord).where(*conditions)
        return int(connection.execute(query).scalar_one())


def job_ids(engine: Engine, job_filter: JobFilter, *, limit: int) -> list[str]:
    """Ids of up to ``limit`` matching records, newest first (the targets of a bulk action)."""
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        query = (
            select(JobRecord.id)
            .where(*job_filter.conditions(text_index=_has_text_index(connection)))
            .order_by(JobRecord.created_at.desc(), JobRecord.id.desc())
            .limit(limit)
        )
        return list(connection.execute(query).scalars())
