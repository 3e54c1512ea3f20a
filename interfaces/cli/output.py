"""Rendering for people (rich tables) and scripts (``--json``).

:func:`print_table` shows a table on a terminal; in a pipe or a file (``jobs list | less``, ``> jobs.tsv``) it
prints tab-separated full values instead (a header line, then one line per row; the title goes to stderr),
so nothing is cut to the terminal's width and ``cut -f1`` works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

from marketjobs import clock
from marketjobs.redact import redact, redact_text
from marketjobs.store.models import JobRecord

__all__ = ["JOB_COLUMNS", "console", "emit_json", "error_console", "job_dict", "jobs_table", "print_table"]

console = Console()
#: Errors, warnings and progress: stderr, never wrapped (a message stays one line for tools and tests).
error_console = Console(stderr=True, soft_wrap=True, highlight=False)

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


def _plain_cell(cell: RenderableType) -> str:
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        try:
            text = Text.from_markup(cell).plain
        except MarkupError:
            text = cell
    else:  # e.g. Pretty(value)
        value = getattr(cell, "_object", cell)
        text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    return " ".join(text.split())


def print_table(table: Table) -> None:
    """``table`` on a terminal; tab-separated full values in a pipe or file (see the module docs)."""
    if console.is_terminal:
        console.print(table)
        return
    if table.title:
        error_console.print(_plain_cell(table.title))
    columns = table.columns
    if table.show_header:
        print("\t".join(_plain_cell(column.header) for column in columns))
    for row in zip(*(list(column.cells) for column in columns), strict=True):
        print("\t".join(_plain_cell(cell) for cell in row))


def _short_time(moment: datetime, today: date) -> str:
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M")


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
            _short_time(created, today) if console.is_terminal else created.isoformat(timespec="seconds"),
            redact_text(record.error or "")[: 200 if console.is_terminal else None],
        )
    return table
