"""Rendering for people (rich tables) and scripts (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from marketjobs.store.models import JobRecord

__all__ = ["JOB_COLUMNS", "console", "emit_json", "job_dict", "jobs_table"]

console = Console()

_HEADERS = {"job_type": "type", "attempts": "try", "progress": "done", "created_at": "created"}

#: Columns of ``jobs list`` / ``dlq list`` tables.
JOB_COLUMNS = ("id", "job_type", "status", "attempts", "progress", "created_at", "error")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def job_dict(record: JobRecord) -> dict[str, Any]:
    """Every column of a job record as JSON-ready values."""
    return {c.key: _plain(getattr(record, c.key)) for c in JobRecord.__table__.columns}


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
    today = datetime.now().astimezone().date()
    for record in records:
        created = record.created_at.astimezone()
        table.add_row(
            record.id,
            record.job_type,
            record.status,
            str(record.attempts),
            f"{record.progress:.0f}%",
            created.strftime("%H:%M:%S" if created.date() == today else "%Y-%m-%d %H:%M"),
            (record.error or "")[:200],
        )
    return table
