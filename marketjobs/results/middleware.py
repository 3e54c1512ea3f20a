"""Dramatiq's Results middleware without its warning about unstored return values.

Every marketjobs actor's return value is kept as the job record's result summary, so a value returned by an
actor without ``store_results=True`` is not discarded and needs no warning.
"""

from __future__ import annotations

import logging
from typing import Any

from dramatiq.results import Results as DramatiqResults

__all__ = ["Results", "silence_discarded_result_warning"]


class Results(DramatiqResults):
    """Stores results of actors declared with ``store_results=True``; says nothing about the others."""

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        store_results, result_ttl = self._lookup_options(broker, message)  # type: ignore[no-untyped-call]
        if store_results and exception is None:
            self.backend.store_result(message, result, result_ttl)


class _ReturnValueKept(logging.Filter):
    """Drops Dramatiq's worker warning that a returned value is discarded for want of the Results
    middleware: the worker checks for Dramatiq's exact class, not a subclass like ours, and marketjobs keeps
    every return value anyway (the job record's result summary)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "haven't added the Results middleware" not in record.getMessage()


#: Dramatiq's worker threads log under this name.
WORKER_THREAD_LOGGER = "dramatiq.worker.WorkerThread"


def silence_discarded_result_warning() -> None:
    """Installs the filter above on Dramatiq's worker-thread logger (idempotent)."""
    logger = logging.getLogger(WORKER_THREAD_LOGGER)
    if not any(isinstance(f, _ReturnValueKept) for f in logger.filters):
        logger.addFilter(_ReturnValueKept())
