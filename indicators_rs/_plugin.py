"""The one place that talks to the compiled plugin: parameter checks and ``register_plugin_function``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from polars.plugins import register_plugin_function

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

#: Directory holding the compiled plugin (``_internal.*.so``).
PLUGIN_PATH = Path(__file__).parent

#: Largest period TA-Lib accepts, in bars.
MAX_TIMEPERIOD = 100_000

#: TA-Lib ``matype`` codes the plugin computes: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA.
MA_TYPES = {0: "SMA", 1: "EMA", 2: "WMA", 3: "DEMA", 4: "TEMA", 5: "TRIMA", 6: "KAMA"}


def check_period(function: str, name: str, value: int, minimum: int) -> None:
    """Raise unless ``value`` is an integer in TA-Lib's range, naming the function, parameter and fix."""
    if isinstance(value, bool) or not isinstance(value, int):
        msg = (
            f"{function}: {name} must be an int, got {type(value).__name__} {value!r}; "
            f"pass a whole number of bars between {minimum} and {MAX_TIMEPERIOD}"
        )
        raise TypeError(msg)
    if not minimum <= value <= MAX_TIMEPERIOD:
        msg = (
            f"{function}: {name}={value} is out of range; "
            f"pass an integer between {minimum} and {MAX_TIMEPERIOD}"
        )
        raise ValueError(msg)


def check_matype(function: str, name: str, value: int) -> None:
    """Raise unless ``value`` is a moving-average type the plugin computes (see :data:`MA_TYPES`)."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in MA_TYPES:
        accepted = ", ".join(f"{code} ({label})" for code, label in MA_TYPES.items())
        msg = f"{function}: {name}={value!r} is not supported; pass one of {accepted}"
        raise ValueError(msg)


def check_float(function: str, name: str, value: float) -> None:
    """Raise unless ``value`` is a finite real number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value
        or abs(value) == float("inf")
    ):
        msg = f"{function}: {name}={value!r} is not a finite number; pass a float such as 2.0"
        raise ValueError(msg)


def call(
    function: str,
    inputs: Sequence[IntoExpr],
    kwargs: dict[str, int | float] | None = None,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """The plugin expression for ``function``; ``by`` is appended as the grouping column when given."""
    args = [*inputs] if by is None else [*inputs, by]
    return register_plugin_function(
        plugin_path=PLUGIN_PATH,
        function_name=function,
        args=args,
        kwargs=kwargs or None,
        is_elementwise=False,
    )
