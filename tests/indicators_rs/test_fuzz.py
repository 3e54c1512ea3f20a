"""Every indicator and candlestick pattern on hostile input: NaN, inf, nulls, 1e300, 1e-300, subnormals,
constant, empty and one-row frames, Float32, grouped by symbol, with periods in and out of range.

Whatever comes in, the result is defined: an expression is refused at once with a TypeError or ValueError
naming the function and the parameter, or it computes a column of the frame's length with the documented
dtype, null on every missing bar, finite wherever the inputs are of moderate size, candle codes only from
TA-Lib's set; never a panic of the Rust plugin, never a crash. The parameters and inputs of each function
come from its signature, so a new indicator is fuzzed without a new test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import indicators_rs as ta
from indicators_rs import MAX_TIMEPERIOD
from indicators_rs.candles import PATTERNS

#: Every function of the package: the numeric indicators and the candlestick patterns.
FUNCTIONS: dict[str, Callable[..., pl.Expr]] = {name: getattr(ta, name) for name in ta.INDICATORS} | dict(
    PATTERNS
)
#: The frame column each input parameter of a function reads.
COLUMN_OF = {
    "real": "close",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
}
#: Candle codes TA-Lib writes.
CANDLE_CODES = {-100, -80, 0, 80, 100}
#: Finite inputs no bigger than this (and no smaller, unless zero) must give finite outputs.
MODERATE = 1e100

SPECIAL_VALUES = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e300,
    -1e300,
    1e-300,
    -1e-300,
    5e-324,
    1.7976931348623157e308,
    0.0,
    -0.0,
]
values = st.one_of(st.none(), st.sampled_from(SPECIAL_VALUES), st.floats(-1e4, 1e4), st.floats(0.5, 200.0))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _inputs(function: Callable[..., pl.Expr]) -> list[str]:
    """Columns of the function's price inputs, in order."""
    names = [p.name for p in inspect.signature(function).parameters.values() if p.name in COLUMN_OF]
    return [COLUMN_OF[name] for name in names]


def _parameters(function: Callable[..., pl.Expr]) -> dict[str, str]:
    """The function's numeric parameters and their annotations ("int" or "float")."""
    parameters = inspect.signature(function).parameters.values()
    return {p.name: str(p.annotation) for p in parameters if str(p.annotation) in ("int", "float")}


@st.composite
def hostile_frames(draw: st.DrawFn) -> pl.DataFrame:
    """OHLCV columns of random, special, null or constant values, a symbol key, Float64 or Float32."""
    n = draw(st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 60)))
    columns: dict[str, list[float | None]] = {}
    for name in ("open", "high", "low", "close", "volume"):
        if draw(st.integers(0, 4)) == 0:
            columns[name] = [draw(values)] * n  # constant, possibly all null or all NaN
        else:
            columns[name] = draw(st.lists(values, min_size=n, max_size=n))
    dtype = draw(st.sampled_from([pl.Float64, pl.Float64, pl.Float32]))
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Float64))
    symbols = draw(st.lists(st.sampled_from(["AAPL", "MSFT"]), min_size=n, max_size=n))
    return frame.cast(dtype).with_columns(symbol=pl.Series(symbols, dtype=pl.String))


def _parameter_values(name: str, kind: str) -> st.SearchStrategy[Any]:
    if kind == "float":
        return st.one_of(st.floats(-3, 3), st.sampled_from([float("nan"), float("inf"), 1e300, 0.0, -1.0]))
    if "matype" in name:
        return st.integers(-1, 8)
    invalid = [0, -1, MAX_TIMEPERIOD, MAX_TIMEPERIOD + 1, 2**31, 2**63, 2.5, True, "14", None]
    return st.one_of(st.integers(1, 40), st.integers(1, 40), st.sampled_from(invalid))


def _missing(frame: pl.DataFrame, inputs: list[str]) -> np.ndarray:
    """Rows where any input is null, NaN or infinite: missing bars, whose output must be null."""
    missing = np.zeros(frame.height, dtype=bool)
    for column in set(inputs):
        missing |= ~np.isfinite(frame[column].cast(pl.Float64).to_numpy())
    return missing


def _moderate(frame: pl.DataFrame, inputs: list[str]) -> bool:
    """True when every finite input is zero or between 1 / MODERATE and MODERATE in size."""
    for column in set(inputs):
        series = frame[column].cast(pl.Float64).to_numpy()
        finite = np.abs(series[np.isfinite(series)])
        if np.any((finite != 0) & ((finite < 1 / MODERATE) | (finite > MODERATE))):
            return False
    return True


def _check_output(name: str, out: pl.Series, frame: pl.DataFrame, inputs: list[str]) -> None:
    assert len(out) == frame.height, f"{name}: {len(out)} rows for {frame.height}"
    fields = [out.struct.field(f) for f in out.struct.fields] if out.dtype == pl.Struct else [out]
    missing = _missing(frame, inputs)
    for field in fields:
        nulls = field.is_null().to_numpy()
        assert np.all(nulls[missing]), f"{name}: a missing bar has a value in {field.name}"
        if name in PATTERNS:
            assert field.dtype == pl.Int32
            assert set(field.drop_nulls().to_list()) <= CANDLE_CODES
            continue
        assert field.dtype == pl.Float64, f"{name}: {field.name} is {field.dtype}"
        if _moderate(frame, inputs):
            got = field.drop_nulls().to_numpy()
            assert np.all(np.isfinite(got)), f"{name}: NaN or inf in {field.name} from moderate inputs"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@SETTINGS
@given(frame=hostile_frames(), data=st.data())
def test_hostile_input_and_parameters_give_a_defined_result_or_a_clear_error(
    name: str, frame: pl.DataFrame, data: st.DataObject
) -> None:
    function = FUNCTIONS[name]
    inputs = _inputs(function)
    kwargs = {
        param: data.draw(_parameter_values(param, kind), label=param)
        for param, kind in _parameters(function).items()
        if data.draw(st.booleans(), label=f"set {param}")
    }
    by = data.draw(st.sampled_from([None, "symbol", "over"]), label="grouping")
    refused: TypeError | ValueError | None = None
    try:
        expr = function(*inputs, **kwargs, by=by if by == "symbol" else None)
    except (TypeError, ValueError) as exc:
        refused = exc
    if refused is not None:
        assert str(refused).startswith(f"{name}:"), f"the error does not name the function: {refused}"
        assert any(p in str(refused) for p in kwargs), f"the error does not name the parameter: {refused}"
        return
    if by == "over":
        expr = expr.over("symbol")
    out = frame.select(expr.alias("out"))["out"]
    _check_output(name, out, frame, inputs)


@pytest.mark.parametrize(
    ("name", "param"), [(name, param) for name in sorted(FUNCTIONS) for param in _parameters(FUNCTIONS[name])]
)
def test_every_out_of_range_or_mistyped_parameter_is_refused_naming_function_and_parameter(
    name: str, param: str
) -> None:
    function = FUNCTIONS[name]
    kind = _parameters(function)[param]
    wrong = [float("nan"), float("inf")] if kind == "float" else [-1, MAX_TIMEPERIOD + 1, 2**63]
    for value in wrong:
        with pytest.raises(ValueError, match=f"^{name}: {param}=") as raised:
            function(*_inputs(function), **{param: value})
        assert "pass" in str(raised.value), "the message says what to pass instead"
    if kind == "int":
        for value in (2.5, "14"):
            with pytest.raises((TypeError, ValueError), match=f"^{name}: {param}"):
                function(*_inputs(function), **{param: value})
