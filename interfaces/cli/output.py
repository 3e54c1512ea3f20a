"""Rendering for people (rich tables) and scripts (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from marketjobs import clock
from marketjobs.redact import redact, redact_text
from marketjobs.store.models import JobRecord

__all__ = ["JOB_COLUMNS", "console", "emit_json", "job_dict", "jobs_table"]

console = Console()

_HEADERS = {"job_type": "type", "attempts": "try", "progress": "done", "created_at": "created"}

#: Columns of ``jobs list`` / ``dlq list`` tables.
JOB_COLUMNS = ("id", "job_type", "status", "attempts", "progress", "created_at", "error")


#: Job-record columns holding UTC epoch milliseconds, shown as ISO-8601 UTC times.
_TIME_COLUMNS = frozenset({"eta", "created_at", "started_at", "finished_at", "updated_at"})


def _plain(key: str, value: Any) -> Any:
    if key in _TIME_COLUMNS and value is not None:
        return clock.from_ms(value).isoformat()
    return value


def job_dict(record: JobRecord) -> dict[str, Any]:
    """Every column of a job record as JSON-ready values (times as ISO-8601 UTC), secrets redacted."""
    return redact({c.key: _plain(c.key, getattr(record, c.key)) for c in JobRecord.__table__.columns})  # type: ignore[no-any-return]


def emit_json(value: Any) -> None:
    """Prints ``value`` as JSON on stdout (for scripts)."""
    print(json.dumps(value, indent=2, default=str))


def jobs_table(records: Sequence[JobRecord], title: str) -> Table:
    """A compact table of job records for people (``--json`` has every field)."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in JOB_COLUMNS:
        if column == "error":
            table.add_column(column, overflow="fold", min_width=12)
        else:
            table.add_column(
                _HEADERS.get(column, column), no_wrap=True, min_width=36 if column == "id" else None
            )
    today = clock.now().astimezone().date()
    for record in records:
        created = clock.from_ms(record.created_at).astimezone()
        table.add_row(
            record.id,
            record.job_type,
            record.status,
            str(record.attempts),
            f"{record.progress:.0f}%",
            created.strftime("%H:%M:%S" if created.date() == today else "%Y-%m-%d %H:%M"),
            redact_text(record.error or "")[:200],
        )
    return table
