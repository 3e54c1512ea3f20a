"""Declares the ``default_priority`` actor option and checks it when an actor is declared."""

from __future__ import annotations

from typing import Any

from dramatiq import Middleware

from marketjobs.brokers.priorities import parse_priority

__all__ = ["Priorities"]


class Priorities(Middleware):
    """Lets actors set ``default_priority="high"``; messages override it with ``priority=...``."""

    @property
    def actor_options(self) -> set[str]:
        return {"default_priority"}

    def before_declare_actor(self, broker: Any, actor: Any) -> None:
        parse_priority(actor.options.get("default_priority"))
