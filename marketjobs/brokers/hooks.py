"""Hooks our brokers call beyond Dramatiq's own: a middleware subclasses :class:`BrokerHooks` to get them.

Dramatiq's :class:`~dramatiq.Middleware` already carries the hooks of a message's life (``before_enqueue``,
``after_process_message``, ...). Our broker mixin adds the ones Dramatiq has no name for, as typed no-op
methods here, so a middleware that needs one overrides it and every other middleware ignores it.
"""

from __future__ import annotations

from typing import Any

from dramatiq import Middleware

__all__ = ["BrokerHooks"]


class BrokerHooks(Middleware):
    """Base of middleware that wants marketjobs' extra broker hooks; every hook is a no-op here."""

    def after_enqueue_failed(self, broker: Any, message: Any) -> None:
        """Called when the broker refused ``message`` after ``before_enqueue`` ran: undo what it claimed."""
