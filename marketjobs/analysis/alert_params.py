"""Parameters of each alert rule type, as pydantic models: what a rule may say, checked when it is stored.

See :mod:`marketjobs.analysis.alert_rules` for what each rule type does with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from marketjobs.analysis.technical_specs import INDICATOR_FUNCTIONS, STRUCT_FIELDS, parse_indicator
from marketjobs.errors import ConfigError, ParameterError, describe_problems

__all__ = [
    "PARAMS_MODELS",
    "IndicatorParams",
    "PatternParams",
    "PctMoveParams",
    "PriceLevelParams",
    "RuleParams",
    "check_rule_params",
    "indicator_output",
]


def indicator_output(name: str) -> str:
    """``name`` in lower case when it is an output column of an indicator (``rsi_14``, ``sma_50``,
    ``macdsignal_12_26_9``, ``upperband_20_2``); ValueError naming the accepted forms otherwise."""
    wanted = name.strip().lower()
    near: list[str] = []
    for function in INDICATOR_FUNCTIONS:
        for field in STRUCT_FIELDS.get(function, (function,)):
            if wanted != field and not wanted.startswith(f"{field}_"):
                continue
            try:
                outputs = parse_indicator(function + wanted[len(field) :]).outputs
            except ParameterError:
                continue
            if wanted in outputs:
                return wanted
            near += [output for output in outputs if output.startswith(field)]
    hint = f" (did you mean {' or '.join(sorted(set(near)))}?)" if near else ""
    raise ValueError(
        f"{name!r} is not an indicator output{hint}; name one as the analysis does: rsi_14, sma_50, "
        "macd_12_26_9, macdsignal_12_26_9, upperband_20_2 (see docs/indicators.md)"
    )


class RuleParams(BaseModel):
    """Base of the rule types' parameter models: unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceLevelParams(RuleParams):
    """``price_above`` / ``price_below``."""

    level: float = Field(allow_inf_nan=False)


class PctMoveParams(RuleParams):
    """``pct_move``: the close changed by at least ``pct`` percent over ``bars`` bars."""

    pct: float = Field(gt=0, allow_inf_nan=False)
    bars: int = Field(1, ge=1, le=1000)
    direction: Literal["up", "down", "any"] = "any"


class IndicatorParams(RuleParams):
    """``indicator_*``: an indicator output name of the snapshot against a level or another indicator."""

    indicator: str = Field(min_length=1, max_length=64)
    level: float | None = Field(None, allow_inf_nan=False)
    other: str | None = Field(None, min_length=1, max_length=64)

    @field_validator("indicator", "other")
    @classmethod
    def _known_output(cls, value: str | None) -> str | None:
        return None if value is None else indicator_output(value)

    @model_validator(mode="after")
    def _one_reference(self) -> IndicatorParams:
        if (self.level is None) == (self.other is None):
            raise ValueError("give exactly one of level (a number) or other (an indicator name, e.g. sma_50)")
        return self


class PatternParams(RuleParams):
    """``pattern_seen``: a signal event by name, e.g. ``cdlengulfing``, optionally of one direction."""

    pattern: str = Field(min_length=1, max_length=64)
    direction: Literal["up", "down"] | None = None


#: Rule type -> the model of its parameters.
PARAMS_MODELS: dict[str, type[RuleParams]] = {
    "price_above": PriceLevelParams,
    "price_below": PriceLevelParams,
    "pct_move": PctMoveParams,
    "indicator_above": IndicatorParams,
    "indicator_below": IndicatorParams,
    "indicator_cross_above": IndicatorParams,
    "indicator_cross_below": IndicatorParams,
    "pattern_seen": PatternParams,
}


def check_rule_params(rule_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` validated for ``rule_type`` (defaults filled in); ConfigError names what is accepted."""
    if rule_type not in PARAMS_MODELS:
        raise ConfigError(f"unknown rule type {rule_type!r}; known types: {', '.join(PARAMS_MODELS)}")
    model = PARAMS_MODELS[rule_type]
    try:
        return model.model_validate(dict(params)).model_dump()
    except ValidationError as exc:
        problems = describe_problems(exc, "params")
        raise ConfigError(
            f"bad parameters for a {rule_type} rule: {problems} (accepted: {', '.join(model.model_fields)})"
        ) from None
