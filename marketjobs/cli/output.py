"""Rendering for people (rich tables) and scripts (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from marketjobs.store.models import JobRecord

__all__ = ["JOB_COLUMNS", "console", "emit_json", "job_dict", "jobs_table"]

console = Console()

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
    """A table of job records for people."""
    table = Table(title=title)
    for column in JOB_COLUMNS:
        if column == "error":
            table.add_column(column, overflow="fold", min_width=20)
        else:
            table.add_column(column, no_wrap=True)
    for record in records:
        row = job_dict(record)
        row["progress"] = f"{row['progress']:.0f}%"
        row["created_at"] = record.created_at.strftime("%Y-%m-%d %H:%M:%S")
        row["error"] = (row["error"] or "")[:120]
        table.add_row(*(str(row[c]) if row[c] is not None else "" for c in JOB_COLUMNS))
    return table
