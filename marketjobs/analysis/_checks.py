"""Input checks shared by the analysis modules; each failure is a ParameterError that names the fix."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from marketjobs.errors import ParameterError

__all__ = ["require_columns", "require_numeric", "require_sorted_within"]


def require_columns(frame: pl.DataFrame, columns: Iterable[str], *, name: str, hint: str = "") -> None:
    """Raise ParameterError naming every column of ``columns`` that ``frame`` lacks.

    Parameters
    ----------
    frame
        The frame to check.
    columns
        Column names that must be present.
    name
        What the frame is called in the message (``"positions"``, ``"prices"`` ...).
    hint
        Extra advice appended to the message, e.g. which keyword argument renames the column.
    """
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        advice = hint or "rename them with frame.rename({...}) or pass the column names as keyword arguments"
        raise ParameterError(f"{name} is missing column(s) {missing} (it has {frame.columns}); {advice}.")


def require_numeric(frame: pl.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise ParameterError if any of ``columns`` is not a numeric dtype."""
    for column in columns:
        dtype = frame.schema[column]
        if not dtype.is_numeric():
            raise ParameterError(
                f"{name} column {column!r} has dtype {dtype}, not a number; "
                f"cast it first, e.g. pl.col({column!r}).cast(pl.Float64)."
            )


def require_sorted_within(frame: pl.DataFrame, *, by: str, time: str, name: str) -> None:
    """Raise ParameterError unless ``time`` is non-null and strictly increasing within each ``by`` group."""
    if frame.is_empty():
        return
    checks = frame.select(
        nulls=pl.col(time).null_count() + pl.col(by).null_count(),
        unsorted=(pl.col(time) <= pl.col(time).shift(1).over(by)).sum(),
    ).row(0)
    if checks[0]:
        raise ParameterError(
            f"{name} has {checks[0]} null {by!r}/{time!r} value(s); drop or fill them first."
        )
    if checks[1]:
        raise ParameterError(
            f"{name} is not sorted by ({by!r}, {time!r}) or repeats a {time!r} within a {by!r} "
            f"({checks[1]} row(s) out of order); use frame.unique([{by!r}, {time!r}]).sort({by!r}, {time!r})."
        )
