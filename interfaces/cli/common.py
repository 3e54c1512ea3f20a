"""Helpers shared by CLI commands: the store engine (checked to be migrated) and time filters."""

from __future__ import annotations

import re
from datetime import timedelta

import typer
from sqlalchemy import Engine

from marketjobs import clock
from marketjobs.config import get_settings
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import require_current

__all__ = ["parse_age", "store_engine"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def store_engine() -> Engine:
    """The job store, after checking it is migrated."""
    engine = create_store_engine(get_settings().database_url)
    require_current(engine)
    return engine


def parse_age(text: str) -> timedelta:
    """``30m``, ``2h``, ``7d`` as a timedelta, or a typer error showing the accepted forms."""
    match = _AGE.match(text)
    if not match:
        raise typer.BadParameter(
            f"{text!r} is not an age; use a number and a unit such as 30s, 15m, 2h, 7d, 1w"
        )
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def since_ms(text: str | None) -> int | None:
    """The moment ``text`` (an age like 2h) ago in UTC epoch milliseconds, or None."""
    if text is None:
        return None
    return clock.now_ms() - int(parse_age(text).total_seconds() * clock.MS_PER_SECOND)
