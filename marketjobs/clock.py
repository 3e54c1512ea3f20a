"""The one clock: every timestamp marketjobs stores or compares is integer milliseconds since the Unix epoch
(UTC), read here. Tests may replace :data:`now_ms` through :func:`use_clock`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

__all__ = ["MS_PER_SECOND", "from_ms", "now", "now_ms", "to_ms", "use_clock"]

#: Milliseconds in a second.
MS_PER_SECOND = 1000

_clock: Callable[[], float] = time.time


def now_ms() -> int:
    """Now, in integer milliseconds since the epoch (the convention of every table)."""
    return int(_clock() * MS_PER_SECOND)


def now() -> datetime:
    """Now, as an aware UTC datetime (for display and for APIs that take datetimes)."""
    return from_ms(now_ms())


def to_ms(moment: datetime) -> int:
    """``moment`` in epoch milliseconds; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * MS_PER_SECOND)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / MS_PER_SECOND, tz=UTC)


@contextmanager
def use_clock(seconds: Callable[[], float]) -> Iterator[None]:
    """Within the block, :func:`now_ms` reads ``seconds()`` (epoch seconds) instead of the system clock."""
    global _clock
    previous, _clock = _clock, seconds
    try:
        yield
    finally:
        _clock = previous
