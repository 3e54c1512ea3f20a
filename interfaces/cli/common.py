"""Helpers shared by CLI commands: the store engine (checked to be migrated) and time filters."""

from __future__ import annotations

import errno
import re
import socket
from datetime import timedelta

import typer
from sqlalchemy import Engine

from marketjobs import clock
from marketjobs.config import get_settings
from marketjobs.errors import PortInUseError
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import require_current

__all__ = ["MAX_AGE_DAYS", "parse_age", "port_in_use", "require_free_port", "since_ms", "store_engine"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
#: Longest age the CLI accepts (``--since``, ``--older-than``, cooldowns), in days.
MAX_AGE_DAYS = 36_500


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
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds > MAX_AGE_DAYS * 86_400:
        raise typer.BadParameter(f"{text!r} is too long; use at most {MAX_AGE_DAYS}d (100 years)")
    return timedelta(seconds=seconds)


def port_in_use(exc: OSError, host: str, port: int, setting: str) -> PortInUseError:
    """The error for ``exc`` raised by a bind to ``host:port``, naming the setting or option that moves it."""
    if exc.errno == errno.EADDRINUSE:
        return PortInUseError(
            f"port {port} on {host} is already in use (another marketjobs?): stop what listens there or "
            f"choose another port with {setting}"
        )
    return PortInUseError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): fix {setting}")


def require_free_port(host: str, port: int, setting: str) -> None:
    """PortInUseError unless ``host:port`` can be bound now (checked before starting a server elsewhere)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise port_in_use(exc, host, port, setting) from None


def since_ms(text: str | None) -> int | None:
    """The moment ``text`` (an age like 2h) ago in UTC epoch milliseconds, or None."""
    if text is None:
        return None
    return clock.now_ms() - int(parse_age(text).total_seconds() * clock.MS_PER_SECOND)
