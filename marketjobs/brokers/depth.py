"""Queue depth as every broker reports it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QueueDepth"]


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Messages in one queue: ready (or in flight where the broker cannot tell), delayed, dead."""

    queue: str
    ready: int
    delayed: int
    dead: int

    @property
    def total(self) -> int:
        """All messages the queue holds."""
        return self.ready + self.delayed + self.dead
