"""Typed job parameters: a pydantic model per job type, checked when the message is made.

:class:`ValidatedActor` validates (and normalises) an actor's keyword parameters in the sender, so a bad
parameter fails at ``send()`` with :class:`~marketjobs.errors.ParameterError`; the actor body calls
:func:`parse_params` again, so one that reaches a worker anyway (an old client, a hand-made message) is
refused there and goes straight to dead letters (ParameterError is not retried).
"""

from __future__ import annotations

from typing import Any, TypeVar

import dramatiq
from pydantic import BaseModel, ValidationError

from marketjobs.errors import ParameterError, describe_problems

__all__ = ["ValidatedActor", "parse_params"]

ParamsT = TypeVar("ParamsT", bound=BaseModel)


def parse_params(model: type[ParamsT], kwargs: dict[str, Any], job_type: str) -> ParamsT:
    """``kwargs`` validated by ``model``; raises ParameterError listing every problem."""
    try:
        return model.model_validate(kwargs)
    except ValidationError as exc:
        problems = describe_problems(exc, "parameters")
        raise ParameterError(f"invalid {job_type} parameters: {problems}") from None


class ValidatedActor(dramatiq.Actor[..., Any]):
    """An actor whose ``params_model`` validates (and normalises) its keyword parameters in the sender."""

    #: The pydantic model of the actor's keyword parameters.
    params_model: type[BaseModel]

    def message_with_options(
        self, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, **options: Any
    ) -> Any:
        """Builds the message after validating the parameters; positional arguments are refused."""
        if args:
            raise ParameterError(f"{self.actor_name} takes keyword parameters only, e.g. send(path='bars/')")
        params = parse_params(self.params_model, dict(kwargs or {}), self.actor_name)
        normalised = params.model_dump(mode="json", exclude_unset=True)
        return super().message_with_options(args=(), kwargs=normalised, **options)
