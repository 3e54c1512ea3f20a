"""``POST /api/enqueue/<job type>``: one route per job type whose actor has a pydantic ``params_model``.

The body is that model, so each job type's parameters appear in the OpenAPI schema (the docs page shows a
form per job type) and a bad body is a 422 listing the model's problems. Priority, a delay and an
idempotency key are query parameters, as ``marketjobs enqueue`` takes them as options.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import dramatiq
from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator
from interfaces.api.deps import BrokerDep
from marketjobs.constants import MESSAGE_OPTION_IDEMPOTENCY_KEY, MESSAGE_OPTION_PRIORITY, Priority

__all__ = ["MAX_DELAY_SECONDS", "Enqueued", "router_for"]

#: Longest delay a job may be sent with: 7 days.
MAX_DELAY_SECONDS = 7 * 86_400

PriorityParam = Annotated[Priority | None, Query(description="default: the job type's own priority")]
DelayParam = Annotated[
    float | None,
    Query(ge=0, le=MAX_DELAY_SECONDS, description="run no earlier than this many seconds from now"),
]
KeyParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=255,
        description="refuse (409) the job while another with this key is pending or running",
    ),
]


class Enqueued(BaseModel):
    """A job sent."""

    id: str = Field(description="the job's id (its message id)")
    job_type: str
    queue: str


def _endpoint(job_type: str) -> Callable[..., Enqueued]:
    def enqueue(
        principal: Operator,
        broker: BrokerDep,
        params: BaseModel,
        priority: PriorityParam = None,
        delay_seconds: DelayParam = None,
        idempotency_key: KeyParam = None,
    ) -> Enqueued:
        actor = broker.get_actor(job_type)
        options: dict[str, Any] = {}
        if priority is not None:
            options[MESSAGE_OPTION_PRIORITY] = priority.value
        if idempotency_key is not None:
            options[MESSAGE_OPTION_IDEMPOTENCY_KEY] = idempotency_key
        kwargs = params.model_dump(mode="json", exclude_unset=True)
        message = actor.message_with_options(kwargs=kwargs, **options)
        delay = None if not delay_seconds else int(delay_seconds * 1000)
        broker.enqueue(message, delay=delay)
        return Enqueued(id=message.message_id, job_type=job_type, queue=actor.queue_name)

    return enqueue


def router_for(broker: dramatiq.Broker) -> APIRouter:
    """The enqueue routes of the job types declared on ``broker`` with a parameter model."""
    router = APIRouter(prefix="/api/enqueue", tags=["enqueue"])
    for job_type in sorted(broker.actors):
        model: type[BaseModel] | None = getattr(broker.get_actor(job_type), "params_model", None)
        if model is None:
            continue
        endpoint = _endpoint(job_type)
        # The body's type is the job type's model: set on the function FastAPI inspects (an annotation
        # naming a local cannot be written in the signature of a module with postponed annotations).
        endpoint.__annotations__["params"] = Annotated[model, Body(description=model.__doc__)]
        endpoint.__name__ = f"enqueue_{job_type}"
        router.add_api_route(
            f"/{job_type}",
            endpoint,
            methods=["POST"],
            response_model=Enqueued,
            summary=f"Enqueue a {job_type} job",
            description=(model.__doc__ or "").strip() or None,
            operation_id=f"enqueue_{job_type}",
        )
    return router
