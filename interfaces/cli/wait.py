"""``--wait`` of ``enqueue``, ``import`` and ``pipeline``: follow jobs to their end, then print the result.

Progress goes to stderr (a live bar on a terminal, one line per change otherwise), the result summary to
stdout (every field of the records with ``--json``). A job that ends dead, cancelled or skipped, or a
``--timeout`` that runs out, exits 1 naming the job and how to look at it. The jobs of a pipeline are
followed in order; when a step fanned out (technical analysis over a large universe), its chunks and their
completion callback are watched too, so a dead chunk ends the wait instead of leaving it hanging.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from interfaces.cli.common import store_engine
from interfaces.cli.output import console, emit_json, error_console, job_dict
from marketjobs.constants import FINAL_STATUSES, Status
from marketjobs.errors import JobNotFoundError, MarketJobsError
from marketjobs.jobs import get_job
from marketjobs.redact import redact, redact_text
from marketjobs.store.models import JobRecord

__all__ = ["wait_for_jobs"]

#: Seconds between looks at the job records.
POLL_SECONDS = 0.25
#: Seconds a job may stay pending before the wait says that no worker seems to take it.
IDLE_HINT_SECONDS = 10.0


def _record(engine: Engine, job_id: str) -> JobRecord | None:
    try:
        return get_job(engine, job_id)
    except JobNotFoundError:  # the sender's record is written a moment after the send
        return None


def _handover_failure(engine: Engine, previous: JobRecord | None) -> JobRecord | None:
    """A chunk or completion callback of a fanned-out ``previous`` step that ended without completing."""
    result = previous.result if previous is not None else None
    if not isinstance(result, dict) or "callback" not in result:
        return None
    for job_id in [*result.get("chunks", []), result["callback"]]:
        record = _record(engine, str(job_id))
        if record is not None and record.status in FINAL_STATUSES and record.status != Status.COMPLETED:
            return record
    return None


class _Display:
    """Progress on stderr: a live bar per job on a terminal, else a line whenever a job's state changes."""

    def __init__(self) -> None:
        self.live = error_console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=error_console,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self.shown: dict[str, tuple[str, int, str]] = {}

    def __enter__(self) -> _Display:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def update(self, job_id: str, job_type: str, status: str, percent: float, message: str | None) -> None:
        text = redact_text(message or "")
        description = f"{job_type} {job_id[:8]} {status}" + (f": {text}" if text else "")
        if self.live:
            if job_id not in self.tasks:
                self.tasks[job_id] = self.progress.add_task(description, total=100)
            self.progress.update(self.tasks[job_id], description=description, completed=percent)
            return
        state = (status, int(percent // 10), text if status != Status.RUNNING else "")
        if self.shown.get(job_id) != state:
            self.shown[job_id] = state
            error_console.print(
                f"{job_type} {job_id}: {status} {percent:.0f}%" + (f" {text}" if text else "")
            )

    def note(self, text: str) -> None:
        (self.progress.console if self.live else error_console).print(text)


def _follow(
    engine: Engine, job_id: str, job_type: str, previous: JobRecord | None, display: _Display, deadline: float
) -> JobRecord:
    started, hinted = time.monotonic(), False
    while True:
        record = _record(engine, job_id)
        if record is not None:
            display.update(job_id, job_type, record.status, record.progress, record.progress_message)
            if record.status in FINAL_STATUSES:
                return record
        else:
            display.update(job_id, job_type, "queued", 0.0, None)
            failed = _handover_failure(engine, previous)
            if failed is not None:
                return failed
        waiting = record is None or record.status == Status.PENDING
        if waiting and not hinted and time.monotonic() - started > IDLE_HINT_SECONDS:
            hinted = True
            display.note(
                f"{job_type} {job_id} is still pending: is a worker running? (`marketjobs up` or "
                "`marketjobs worker`; `marketjobs workers` lists them)"
            )
        if time.monotonic() > deadline:
            status = record.status if record is not None else "queued"
            raise MarketJobsError(
                f"{job_type} job {job_id} is still {status} after the --timeout; it goes on: follow it with "
                f"`marketjobs jobs show {job_id}`"
            )
        time.sleep(POLL_SECONDS)


def _value(value: Any) -> str:
    if isinstance(value, list) and len(value) > 5:
        return f"[{len(value)} items]"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _summary(record: JobRecord) -> str:
    took = ""
    if record.started_at is not None and record.finished_at is not None:
        took = f" in {(record.finished_at - record.started_at) / 1000:.1f} s"
    line = f"{record.job_type} {record.id} {record.status}{took}"
    result = redact(record.result)
    if isinstance(result, dict) and result:
        line += "\n  " + ", ".join(f"{key}={_value(value)}" for key, value in result.items())
    elif result is not None:
        line += f"\n  result: {_value(result)}"
    return line


def wait_for_jobs(jobs: Sequence[tuple[str, str]], *, as_json: bool, timeout: float | None) -> None:
    """Follows ``jobs`` ((id, job type), in order) until each ends; the first that does not complete, or the
    ``timeout`` in seconds, raises MarketJobsError after the records seen so far are printed."""
    engine = store_engine()
    deadline = float("inf") if timeout is None else time.monotonic() + timeout
    records: list[JobRecord] = []
    try:
        with _Display() as display:
            for job_id, job_type in jobs:
                records.append(
                    _follow(engine, job_id, job_type, records[-1] if records else None, display, deadline)
                )
                if records[-1].status != Status.COMPLETED:
                    break
    except KeyboardInterrupt:
        error_console.print("stopped waiting; the jobs go on (`marketjobs jobs list` shows them)")
        raise
    if as_json:
        emit_json([job_dict(r) for r in records] if len(jobs) > 1 else job_dict(records[0]))
    else:
        for record in records:
            console.print(_summary(record), highlight=False, markup=False)
    last = records[-1]
    if last.status != Status.COMPLETED:
        error = redact_text((last.error or "no error recorded").strip().splitlines()[0])[:300]
        raise MarketJobsError(
            f"{last.job_type} job {last.id} is {last.status} after {last.attempts} attempt(s): {error}; see "
            f"`marketjobs jobs show {last.id}`"
        )
