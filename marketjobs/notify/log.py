"""``log``: one log record per alert on the ``marketjobs.alerts`` logger (WARNING: shown by default)."""

from __future__ import annotations

import json
import logging

from marketjobs.notify.base import Notification, Sink

__all__ = ["LogSink"]

logger = logging.getLogger("marketjobs.alerts")


class LogSink(Sink):
    """Logs each alert's message, with the whole payload as JSON in the record's ``alert`` attribute."""

    name = "log"

    def __init__(self, *, level: int = logging.WARNING) -> None:
        self.level = level

    def _deliver(self, notification: Notification) -> None:
        payload = notification.payload()
        logger.log(
            self.level,
            "alert %s: %s",
            notification.rule_name,
            notification.message,
            extra={"alert": json.dumps(payload)},
        )
