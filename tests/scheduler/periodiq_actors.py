"""An actor ``periodiq actors tests.scheduler.periodiq_actors`` schedules every minute (test only).

Its parameter is required, like price_update's ``source``: the tick only validates because the schedule's
kwargs reach the message.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from pydantic import BaseModel, ConfigDict

import actors  # noqa: F401  (sets the broker, with the periodic option, that the actor declares on)
from marketjobs.jobs.params import ValidatedActor
from scheduler.periodiq_compat import cron

#: The queue the ticks land in (the test reads it without importing this module).
QUEUE = "periodiq_test"


class NoteParams(BaseModel):
    """The one required parameter."""

    model_config = ConfigDict(extra="forbid")
    note: str


class _NoteActor(ValidatedActor):
    params_model = NoteParams


@dramatiq.actor(
    actor_class=_NoteActor,
    queue_name=QUEUE,
    periodic=cron("every minute", kwargs={"note": "from periodiq"}),
)
def periodiq_note(**kwargs: Any) -> None:
    """Does nothing; the test reads its messages."""
