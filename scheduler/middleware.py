"""The ``periodic`` actor option on our brokers, and periodiq's ticks with their schedule's kwargs.

:class:`PeriodicMiddleware` takes the place of ``periodiq.PeriodiqMiddleware`` (the actors package adds it
to its broker). It declares the ``periodic`` option, refuses a value that is not our
:func:`scheduler.periodiq_compat.cron`, and makes a periodiq tick carry the kwargs of the schedule that fired:
periodiq sends ``actor.send_with_options(scheduled_at=...)`` with no arguments, so the actor's
``send_with_options`` fills them in (one message per schedule firing at that minute). Unlike periodiq's
middleware it never skips a late tick: a periodic job delayed by retries still runs.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import dramatiq
from dramatiq import Middleware

from marketjobs.errors import OptionError
from scheduler.periodic import PERIODIC_OPTION, Periodic, PeriodicSchedule, not_ours

__all__ = ["SCHEDULED_AT_OPTION", "PeriodicMiddleware"]

#: The message option periodiq sets on each tick: the tick's time, ISO 8601.
SCHEDULED_AT_OPTION = "scheduled_at"


class PeriodicMiddleware(Middleware):
    """Declares the ``periodic`` actor option; periodiq's ticks get the kwargs of the schedule that fired."""

    @property
    def actor_options(self) -> set[str]:
        return {PERIODIC_OPTION}

    def before_declare_actor(self, broker: dramatiq.Broker, actor: dramatiq.Actor[..., Any]) -> None:
        """Checks the actor's ``periodic`` option (OptionError names the fix) and wraps its
        ``send_with_options`` for periodiq's ticks."""
        periodic = actor.options.get(PERIODIC_OPTION)
        if periodic is None or isinstance(vars(actor).get("send_with_options"), _TickSender):
            return
        if not isinstance(periodic, Periodic):
            raise OptionError(not_ours(actor.actor_name, periodic))
        actor.send_with_options = _TickSender(actor, periodic)  # type: ignore[method-assign]


class _TickSender:
    """An actor's ``send_with_options`` that sends a periodiq tick (no arguments, ``scheduled_at`` set) once
    per schedule firing at that minute, with that schedule's kwargs; every other send is unchanged."""

    def __init__(self, actor: dramatiq.Actor[..., Any], periodic: Periodic) -> None:
        self.send = actor.send_with_options
        self.periodic = periodic

    def __call__(
        self,
        *,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        delay: Any = None,
        **options: Any,
    ) -> dramatiq.Message[Any]:
        scheduled_at = options.get(SCHEDULED_AT_OPTION)
        firing = () if scheduled_at is None or args or kwargs else self._firing(str(scheduled_at))
        if not firing:
            return self.send(args=args, kwargs=kwargs, delay=delay, **options)
        messages = [
            self.send(kwargs=copy.deepcopy(schedule.kwargs), delay=delay, **options) for schedule in firing
        ]
        return messages[0]

    def _firing(self, scheduled_at: str) -> tuple[PeriodicSchedule, ...]:
        try:
            instant = datetime.fromisoformat(scheduled_at)
        except ValueError:
            return ()
        return self.periodic.firing_at(instant) if instant.tzinfo is not None else ()
