"""Indicator specs: the familiar spellings (``RSI_14``, ``MACD_12_26_9``) and a structured form, parsed once.

Every numeric function of :mod:`indicators_rs` is accepted, by its TA-Lib name in any case. A spelling is the
name followed by ``_``-separated values for the function's parameters in TA-Lib's order (``BBANDS_20_2`` is
timeperiod 20, nbdev 2), with two exceptions matching common usage: ``STOCH_14_3_3`` is fastk, slowk and slowd
periods (the moving-average types come last), and a single BBANDS deviation applies to both bands. Omitted
parameters take TA-Lib's defaults. The structured form names the parameters: ``{"name": "rsi",
"timeperiod": 14}``.

Output columns are named after the function and its parameters: ``rsi_14``, ``sma_20``, ``obv``; a Struct
function gives one column per field, e.g. ``macd_12_26_9``, ``macdsignal_12_26_9``, ``macdhist_12_26_9``.
Moving-average types and parameters equal to what they default to are left out of the names unless given.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

import indicators_rs as ta
from marketjobs.errors import ParameterError

__all__ = ["INDICATOR_FUNCTIONS", "IndicatorSpec", "parse_indicator", "parse_indicators", "parse_patterns"]

#: Fields of the Struct functions, in output order (prefixed where the bare names would collide).
STRUCT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "macd": ("macd", "macdsignal", "macdhist"),
    "macdfix": ("macdfix", "macdfixsignal", "macdfixhist"),
    "bbands": ("upperband", "middleband", "lowerband"),
    "stoch": ("slowk", "slowd"),
    "stochf": ("fastk", "fastd"),
    "stochrsi": ("stochrsi_fastk", "stochrsi_fastd"),
    "aroon": ("aroondown", "aroonup"),
}
#: Spelling order where it differs from the function's signature.
_SPELLING_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "stoch": ("fastk_period", "slowk_period", "slowd_period", "slowk_matype", "slowd_matype"),
}
#: Price column each input parameter of an indicators_rs function reads.
_INPUT_COLUMNS: Final = {"real": "close", "open": "open", "high": "high", "low": "low", "close": "close"}
_INPUT_COLUMNS_WITH_VOLUME: Final = {**_INPUT_COLUMNS, "volume": "volume"}
_NUMBER: Final = re.compile(r"^-?\d+(\.\d+)?$")
_FORMS: Final = (
    "accepted forms: a spelling such as 'RSI_14', 'SMA_20', 'MACD_12_26_9', 'BBANDS_20_2', "
    "'STOCH_14_3_3', 'OBV' (name, then parameters in TA-Lib's order), or a mapping such as "
    "{'name': 'rsi', 'timeperiod': 14}"
)


@dataclass(frozen=True)
class _Function:
    name: str
    call: Callable[..., pl.Expr]
    inputs: tuple[str, ...]
    #: Parameter -> default, in spelling order.
    defaults: dict[str, int | float]


def _describe(name: str) -> _Function:
    function = getattr(ta, name)
    inputs: list[str] = []
    defaults: dict[str, int | float] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.KEYWORD_ONLY:
            continue
        if parameter.default is inspect.Parameter.empty:
            inputs.append(parameter.name)
        else:
            defaults[parameter.name] = parameter.default
    order = _SPELLING_ORDER.get(name, tuple(defaults))
    return _Function(name, function, tuple(inputs), {key: defaults[key] for key in order})


#: Every numeric indicators_rs function, by lower-case TA-Lib name.
INDICATOR_FUNCTIONS: Final[dict[str, _Function]] = {name: _describe(name) for name in ta.INDICATORS}


def _implied(function: str, name: str, values: Mapping[str, int | float]) -> int | float:
    """The value ``name`` takes when not given: BBANDS' lower deviation follows the upper one."""
    if function == "bbands" and name == "nbdevdn":
        return values["nbdevup"]
    return INDICATOR_FUNCTIONS[function].defaults[name]


def _text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator with all its parameters resolved, and the columns it produces."""

    #: indicators_rs function name, e.g. "macd".
    function: str
    #: Every numeric parameter, in spelling order.
    params: tuple[tuple[str, int | float], ...]
    #: Name of the output, e.g. "macd_12_26_9"; Struct fields are named "<field>_<parameters>".
    label: str

    @property
    def outputs(self) -> tuple[str, ...]:
        """Output column names, one per Struct field or the label alone."""
        fields = STRUCT_FIELDS.get(self.function)
        if fields is None:
            return (self.label,)
        suffix = self.label[len(self.function) :]
        return tuple(f"{field}{suffix}" for field in fields)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Bar columns the function reads, e.g. ("high", "low", "close")."""
        return tuple(_INPUT_COLUMNS_WITH_VOLUME[name] for name in INDICATOR_FUNCTIONS[self.function].inputs)

    def expression(self, by: str | None = "symbol") -> pl.Expr:
        """The indicators_rs expression: a column named after the label, Struct fields renamed to outputs."""
        function = INDICATOR_FUNCTIONS[self.function]
        expr = function.call(*self.inputs, **dict(self.params), by=by)
        if self.function in STRUCT_FIELDS:
            expr = expr.struct.rename_fields(list(self.outputs))
        return expr.alias(self.label)


def _build(function: str, given: dict[str, int | float], source: object) -> IndicatorSpec:
    described = INDICATOR_FUNCTIONS[function]
    values: dict[str, int | float] = {}
    for name in described.defaults:
        values[name] = given[name] if name in given else _implied(function, name, values)
    kept = list(described.defaults)
    while kept and values[kept[-1]] == _implied(function, kept[-1], values):
        if not kept[-1].endswith("matype") and not (function == "bbands" and kept[-1] == "nbdevdn"):
            break  # periods and deviations always show in the name, e.g. rsi_14 for a plain "RSI"
        kept.pop()
    label = "_".join([function, *(_text(values[name]) for name in kept)])
    spec = IndicatorSpec(function, tuple(values.items()), label)
    try:
        spec.expression()  # the wrapper checks types and ranges
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"indicator {source!r}: {exc}") from None
    return spec


def _unknown(source: object, name: str) -> ParameterError:
    known = ", ".join(sorted(INDICATOR_FUNCTIONS))
    return ParameterError(f"indicator {source!r}: unknown function {name!r}; known: {known}. {_FORMS}.")


def _from_spelling(spelling: str) -> IndicatorSpec:
    tokens = spelling.strip().lower().split("_")
    for cut in range(len(tokens), 0, -1):
        name = "_".join(tokens[:cut])
        if name in INDICATOR_FUNCTIONS:
            break
    else:
        raise _unknown(spelling, tokens[0])
    numbers = tokens[cut:]
    order = list(INDICATOR_FUNCTIONS[name].defaults)
    if len(numbers) > len(order) or not all(_NUMBER.match(n) for n in numbers):
        raise ParameterError(
            f"indicator {spelling!r}: {name.upper()} takes up to {len(order)} numbers after its name, "
            f"in this order: {', '.join(order) or 'none'}; {_FORMS}."
        )
    given: dict[str, int | float] = {
        key: float(text) if "." in text else int(text) for key, text in zip(order, numbers, strict=False)
    }
    if name == "bbands" and "nbdevup" in given:
        given["nbdevup"] = float(given["nbdevup"])
        if "nbdevdn" in given:
            given["nbdevdn"] = float(given["nbdevdn"])
    return _build(name, given, spelling)


def _from_mapping(mapping: Mapping[str, Any]) -> IndicatorSpec:
    raw = mapping.get("name")
    if not isinstance(raw, str) or raw.lower() not in INDICATOR_FUNCTIONS:
        raise _unknown(dict(mapping), str(raw))
    name = raw.lower()
    accepted = INDICATOR_FUNCTIONS[name].defaults
    unknown = sorted(set(mapping) - {"name"} - set(accepted))
    if unknown:
        raise ParameterError(
            f"indicator {dict(mapping)!r}: {name} has no parameter(s) {unknown}; "
            f"accepted: {', '.join(accepted) or 'none'}."
        )
    given = {key: mapping[key] for key in accepted if key in mapping}
    return _build(name, given, dict(mapping))


def parse_indicator(spec: str | Mapping[str, Any]) -> IndicatorSpec:
    """One spec from a spelling (``"RSI_14"``) or a mapping (``{"name": "rsi", "timeperiod": 14}``).

    Raises
    ------
    ParameterError
        For an unknown function, too many or malformed values, an unknown or out-of-range parameter; the
        message lists the accepted forms.
    """
    if isinstance(spec, str):
        return _from_spelling(spec)
    if isinstance(spec, Mapping):
        return _from_mapping(spec)
    raise ParameterError(f"indicator {spec!r} is a {type(spec).__name__}; {_FORMS}.")


def parse_indicators(specs: Sequence[str | Mapping[str, Any]]) -> list[IndicatorSpec]:
    """Every spec parsed; duplicates (same function and parameters, e.g. ``"SMA_20"`` and ``{"name": "sma",
    "timeperiod": 20}``) kept once, in first-seen order. Labels are canonical, so no two specs left share an
    output column.

    Raises
    ------
    ParameterError
        As :func:`parse_indicator`.
    """
    parsed: dict[str, IndicatorSpec] = {}
    for spec in specs:
        one = parse_indicator(spec)
        parsed.setdefault(one.label, one)
    return list(parsed.values())


def parse_patterns(patterns: Sequence[str] | str | None) -> list[str]:
    """Candlestick pattern names: ``"all"``, ``None``/``[]`` (none) or names such as ``"CDLENGULFING"``.

    Raises
    ------
    ParameterError
        For an unknown name, listing the known ones.
    """
    if patterns is None:
        return []
    if isinstance(patterns, str):
        if patterns.lower() != "all":
            raise ParameterError(f"patterns={patterns!r}: pass 'all', a list of names or nothing.")
        return list(ta.PATTERNS)
    names = [p.strip().lower() for p in patterns]
    unknown = [p for p, n in zip(patterns, names, strict=True) if n not in ta.PATTERNS]
    if unknown:
        raise ParameterError(
            f"unknown candlestick pattern(s) {unknown}; known: {', '.join(ta.PATTERNS)} (or 'all')."
        )
    return list(dict.fromkeys(names))
