"""The one place that talks to the compiled plugin: parameter checks and ``register_plugin_function``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, cast

import polars as pl
from polars.plugins import register_plugin_function

if TYPE_CHECKING:
    from polars._typing import IntoExpr, WindowMappingStrategy

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


#: The keys of a grouped call, outermost first.
GroupKeys: TypeAlias = "Sequence[IntoExpr]"


def key_list(keys: IntoExpr | Iterable[IntoExpr] | None) -> list[IntoExpr]:
    """``by=``/``.over`` keys as a list: none, one column name or expression, or a list of them."""
    if keys is None:
        return []
    if isinstance(keys, str | pl.Expr | pl.Series) or not isinstance(keys, Iterable):
        return [keys]
    return list(keys)


def group_key(keys: GroupKeys) -> IntoExpr | None:
    """The one column the plugin groups by: the key itself, or a Struct of several keys."""
    if not keys:
        return None
    if len(keys) == 1:
        return keys[0]
    return pl.struct([_as_expr(key).alias(f"key{i}") for i, key in enumerate(keys)])


def _as_expr(key: IntoExpr) -> pl.Expr:
    if isinstance(key, pl.Expr):
        return key
    return pl.col(key) if isinstance(key, str) else pl.lit(key)


class IndicatorExpr(pl.Expr):
    """An indicator expression whose ``.over(keys)`` computes every group in one plugin call.

    Inside ``.over`` Polars calls a plugin once per group, gathering each group's rows before the call and
    scattering the results after it; that costs more than the indicator itself. The plugin groups rows
    itself when given the keys (``by=``), with the same semantics (each key's rows in row order, nulls a
    group of their own) and the same values, on all cores. So ``.over`` routes there when every input and
    every key is a plain column: the inputs are then the same whether taken per group or whole. An input
    such as ``pl.col("close").diff()`` or another indicator must be computed per group too, and a key may
    be an expression of another length, so those, ``order_by`` and other ``mapping_strategy`` values get
    Polars' own ``.over``. The routing survives ``.alias``; any other method gives a plain expression.
    """

    _grouped: Callable[[GroupKeys], pl.Expr]

    @classmethod
    def wrap(cls, expr: pl.Expr, grouped: Callable[[GroupKeys], pl.Expr]) -> IndicatorExpr:
        """``expr``, whose ``.over(keys)`` becomes ``grouped(keys)``."""
        out = cast("IndicatorExpr", cls._from_pyexpr(expr._pyexpr))
        out._grouped = grouped
        return out

    def alias(self, name: str) -> pl.Expr:
        """Rename the expression, keeping the one-call ``.over``; see :meth:`polars.Expr.alias`."""
        renamed = super().alias(name)
        grouped: Callable[[GroupKeys], pl.Expr] | None = getattr(self, "_grouped", None)
        if grouped is None:  # e.g. after pickling, which keeps only the Polars expression
            return renamed
        return IndicatorExpr.wrap(renamed, lambda keys: grouped(keys).alias(name))

    def over(
        self,
        partition_by: IntoExpr | Iterable[IntoExpr] | None = None,
        *more_exprs: IntoExpr,
        order_by: IntoExpr | Iterable[IntoExpr] | None = None,
        descending: bool = False,
        nulls_last: bool = False,
        mapping_strategy: WindowMappingStrategy = "group_to_rows",
    ) -> pl.Expr:
        """Compute per group of ``partition_by``; see :meth:`polars.Expr.over` (same result, one call)."""
        keys = [*key_list(partition_by), *more_exprs]
        grouped: Callable[[GroupKeys], pl.Expr] | None = getattr(self, "_grouped", None)
        plain = order_by is None and mapping_strategy == "group_to_rows"
        if grouped is not None and plain and keys and all(is_column(key) for key in keys):
            return grouped(keys)
        return super().over(
            partition_by,
            *more_exprs,
            order_by=order_by,
            descending=descending,
            nulls_last=nulls_last,
            mapping_strategy=mapping_strategy,
        )


def is_column(value: IntoExpr) -> bool:
    """Whether ``value`` names exactly one column of the frame, as is: a name or ``pl.col(name)``."""
    return isinstance(value, str) or (isinstance(value, pl.Expr) and value.meta.is_column())


def plugin_expr(
    function: str,
    inputs: Sequence[IntoExpr],
    kwargs: dict[str, int | float] | None = None,
    by: IntoExpr | Iterable[IntoExpr] | None = None,
    name: str | None = None,
) -> pl.Expr:
    """The plugin expression for ``function`` on ``inputs``, grouped by ``by`` when given, named ``name``.

    When every input and ``by`` key is a plain column it is an :class:`IndicatorExpr`, whose ``.over(keys)``
    adds ``keys`` to ``by``: rows grouped by ``by`` within each ``keys`` group are exactly the rows grouped
    by both.
    """
    given = key_list(by)

    def build(keys: GroupKeys) -> pl.Expr:
        key = group_key([*given, *keys])
        expr = register_plugin_function(
            plugin_path=PLUGIN_PATH,
            function_name=function,
            args=[*inputs] if key is None else [*inputs, key],
            kwargs=kwargs or None,
            is_elementwise=False,
        )
        return expr if name is None else expr.alias(name)

    expr = build([])
    if not all(is_column(value) for value in [*inputs, *given]):
        return expr  # its inputs must be computed per group too: Polars' own .over does that
    return IndicatorExpr.wrap(expr, build)


def call(
    function: str,
    inputs: Sequence[IntoExpr],
    kwargs: dict[str, int | float] | None = None,
    by: IntoExpr | Iterable[IntoExpr] | None = None,
) -> pl.Expr:
    """The plugin expression for ``function``, named after its first input; see :func:`plugin_expr`."""
    return plugin_expr(function, inputs, kwargs, by)
