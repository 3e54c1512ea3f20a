"""The job store's outages in this process, said once per back-off step.

The job-record writer, the worker registry's heartbeats and the cancel watcher each touch the store every
second or so; when the database goes away, each would log a traceback per attempt. They report through one
:class:`~marketjobs.brokers.outage.Outage` per store instead: one line per back-off step naming the store
(password masked) and the fix, and one line when it is back. Other errors are still logged in full.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from marketjobs.brokers.outage import Outage, is_connection_error
from marketjobs.redact import redact_url

__all__ = ["report_store_error", "store_outage", "store_reached"]

_outages: dict[str, Outage] = {}
_lock = threading.Lock()


def store_outage(engine: Engine) -> Outage:
    """The one outage of the store behind ``engine`` in this process."""
    url = _shown(engine)
    with _lock:
        if url not in _outages:
            _outages[url] = Outage(f"job store {url}", "start the database or fix MARKETJOBS_DATABASE_URL")
        return _outages[url]


def _shown(engine: Engine) -> str:
    """The store's URL as outages name it: password and secret query values masked."""
    return redact_url(engine.url.render_as_string(hide_password=True))


def report_store_error(engine: Engine, exc: BaseException, logger: logging.Logger, what: str) -> None:
    """A lost connection to the store goes to its outage (once per step); any other error is logged with its
    traceback, as ``what`` failed."""
    if is_connection_error(exc):
        store_outage(engine).failed(exc)
        logger.debug("%s failed", what, exc_info=exc)
    else:
        logger.error("%s failed; will retry", what, exc_info=exc)


def store_reached(engine: Engine) -> None:
    """Records a successful use of the store (ends a reported outage)."""
    outage = _outages.get(_shown(engine))
    if outage is not None:
        outage.recovered()
