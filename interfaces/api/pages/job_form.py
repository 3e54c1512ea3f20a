"""The jobs page's filter form: read from a GET query into the API's :class:`JobFilter`, and written back as
the page's own query (links, live refresh) and as the API's query (bulk actions act on what the page shows).

The form uses the API's parameter names (``status``, ``job_type``, ``queue``, ``priority``, ``worker``,
``q``) except the time range, typed as UTC date-times (``since``, ``until``) instead of epoch ms. Empty
fields mean "any" (a browser sends them empty); a value the API would refuse is reported, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from interfaces.api.filters import MAX_TIME_MS, job_filter
from marketjobs.clock import from_ms, to_ms
from marketjobs.constants import Priority, Status
from marketjobs.store.job_search import JobFilter

__all__ = ["JobForm", "api_query", "read_form", "time_value"]

#: Longest text a free-text field accepts (the API's limit on ``q``).
MAX_TEXT = 200
#: Longest name (job type, queue, worker) the API accepts.
MAX_NAME = 128
_STATUSES = frozenset(s.value for s in Status)
_PRIORITIES = frozenset(p.value for p in Priority)


@dataclass
class JobForm:
    """The form as the operator filled it in, the filter it means, and what was wrong with it."""

    statuses: list[str] = field(default_factory=list)
    job_type: str = ""
    queue: str = ""
    priority: str = ""
    since: str = ""
    until: str = ""
    worker: str = ""
    q: str = ""
    problems: list[str] = field(default_factory=list)
    filter: JobFilter = field(default_factory=JobFilter)

    def query(self, **extra: str) -> str:
        """The page's query string for this form (plus ``extra``), without empty fields."""
        pairs = [("status", s) for s in self.statuses]
        pairs += [
            (name, value)
            for name, value in (
                ("job_type", self.job_type),
                ("queue", self.queue),
                ("priority", self.priority),
                ("since", self.since),
                ("until", self.until),
                ("worker", self.worker),
                ("q", self.q),
                *extra.items(),
            )
            if value
        ]
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return bool(self.query())


def _time(form: JobForm, name: str, text: str) -> int | None:
    if not text:
        return None
    try:
        value = to_ms(datetime.fromisoformat(text))
    except ValueError:
        form.problems.append(f"{name}: {text!r} is not a date-time; write e.g. 2026-01-31T09:30 (UTC)")
        return None
    if not 0 <= value <= MAX_TIME_MS:
        form.problems.append(f"{name}: {text!r} is out of range (1970 to 9999)")
        return None
    return value


def _text(form: JobForm, name: str, params: QueryParams, limit: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        form.problems.append(f"{name}: at most {limit} characters")
        return value[:limit]
    return value


def read_form(params: QueryParams) -> JobForm:
    """The form in ``params``; its ``filter`` leaves out whatever is in ``problems``."""
    form = JobForm()
    for value in params.getlist("status"):
        if value in _STATUSES:
            form.statuses.append(value)
        elif value:
            form.problems.append(f"status: unknown {value!r}; choose from {', '.join(Status)}")
    priority = params.get("priority") or ""
    if priority and priority not in _PRIORITIES:
        form.problems.append(f"priority: unknown {priority!r}; choose from {', '.join(Priority)}")
        priority = ""
    form.priority = priority
    form.job_type = _text(form, "job_type", params, MAX_NAME)
    form.queue = _text(form, "queue", params, MAX_NAME)
    form.worker = _text(form, "worker", params, MAX_NAME)
    form.q = _text(form, "q", params, MAX_TEXT)
    form.since, form.until = params.get("since") or "", params.get("until") or ""
    since_ms, until_ms = _time(form, "since", form.since), _time(form, "until", form.until)
    form.filter = job_filter(
        status=[Status(s) for s in form.statuses] or None,
        job_type=[form.job_type] if form.job_type else None,
        queue=[form.queue] if form.queue else None,
        priority=[Priority(priority)] if priority else None,
        since_ms=since_ms,
        until_ms=until_ms,
        worker=form.worker or None,
        q=form.q or None,
    )
    return form


def api_query(job_filter: JobFilter) -> str:
    """The query string of the API's job filters (``GET /api/jobs``, ``POST /api/bulk/...``)."""
    pairs = [("status", s) for s in job_filter.statuses]
    pairs += [("job_type", t) for t in job_filter.job_types]
    pairs += [("queue", q) for q in job_filter.queues]
    pairs += [("priority", p) for p in job_filter.priorities]
    for name, value in (
        ("since_ms", job_filter.since_ms),
        ("until_ms", job_filter.until_ms),
        ("worker", job_filter.worker),
        ("q", job_filter.text),
    ):
        if value is not None:
            pairs.append((name, str(value)))
    return urlencode(pairs)


def time_value(epoch_ms: int) -> str:
    """Epoch ms as the value of a ``datetime-local`` field (UTC, to the second)."""
    return from_ms(epoch_ms).strftime("%Y-%m-%dT%H:%M:%S")
