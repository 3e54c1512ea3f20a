"""Dramatiq's Results middleware without its warning about unstored return values.

Every marketjobs actor's return value is kept as the job record's result summary, so a value returned by an
actor without ``store_results=True`` is not discarded and needs no warning.
"""

from __future__ import annotations

from typing import Any

from dramatiq.results import Results as DramatiqResults

__all__ = ["Results"]


class Results(DramatiqResults):
    """Stores results of actors declared with ``store_results=True``; says nothing about the others."""

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        store_results, result_ttl = self._lookup_options(broker, message)  # type: ignore[no-untyped-call]
        if store_results and exception is None:
            self.backend.store_result(message, result, result_ttl)
