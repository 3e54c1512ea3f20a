"""What a service run reports as it goes, for observers in higher layers (metrics, tests).

The services never import :mod:`monitoring`: a run takes a :class:`RunHooks` and calls its no-op methods;
``monitoring.domain.DomainMetrics`` overrides them to count. The same shape as Dramatiq's middleware.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["NO_HOOKS", "RunHooks"]


class RunHooks:
    """Hooks of the technical and alerts runs; every method is a no-op here."""

    def after_indicators(self, seconds: float, rows: int, signals: Mapping[str, int]) -> None:
        """A batch of indicators computed over ``rows`` bar rows in ``seconds``, storing ``signals``."""

    def after_alert_delivered(self, sink: str, rule_type: str) -> None:
        """An alert of ``rule_type`` delivered to ``sink``."""

    def after_alert_failed(self, sink: str) -> None:
        """A delivery to ``sink`` failed (the firing is kept and retried)."""


#: Hooks that do nothing (the default of every run).
NO_HOOKS = RunHooks()
