"""The one interface every bar source implements: :class:`BarSource`.

A source turns (symbols, since) into rows of bars with the columns of
:data:`~marketjobs.marketdata.validate.BAR_COLUMNS`. Rows are *not* validated here: values may still be text
(a CSV field, a JSON string) and may be wrong; the caller runs ``validate_bars()`` so that every bad row is
counted and reported, never dropped. Options are a pydantic model per source, so an unknown or mistyped
option is an error that names the accepted ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from marketjobs.config import Settings, get_settings
from marketjobs.errors import ConfigError, SourceError, describe_problems
from marketjobs.marketdata.validate import BAR_COLUMNS

__all__ = ["BarSource", "SourceError", "SourceOptions", "options_error"]


class SourceOptions(BaseModel):
    """Base of every source's options model: unknown options are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def options_error(source: str, model: type[BaseModel], exc: ValidationError) -> str:
    """A one-line message listing every bad option of ``source`` and the options it accepts."""
    problems = describe_problems(exc, "options")
    return f"bad options for bar source {source!r}: {problems} (accepted: {', '.join(model.model_fields)})"


class BarSource:
    """Fetches bars for symbols; subclasses set ``name`` and ``options_model`` and fill in :meth:`_fetch`."""

    #: The name the registry knows this source by; also the ``source`` column of the bars it writes.
    name: str = "base"
    #: The pydantic model of this source's options.
    options_model: ClassVar[type[SourceOptions]] = SourceOptions

    def __init__(self, *, settings: Settings | None = None, **options: Any) -> None:
        #: The settings the source works under (import roots, allowed hosts, caps).
        self.settings = settings or get_settings()
        try:
            self.options: Any = self.options_model.model_validate(options)
        except ValidationError as exc:
            raise ConfigError(options_error(self.name, self.options_model, exc)) from None

    def fetch(
        self,
        symbols: Sequence[str],
        since: datetime | None = None,
        *,
        history: pl.DataFrame | None = None,
    ) -> pl.DataFrame:
        """Rows of bars of ``symbols`` newer than ``since`` (all the source has when None), unvalidated.

        ``history`` holds recent stored bars of these symbols (validated, sorted by ts) for sources that
        extend a series. The result has exactly the columns ``BAR_COLUMNS`` (``volume`` null when the source
        has none) and only rows of ``symbols``.
        """
        frame = self._fetch(list(symbols), since, history)
        if frame.is_empty():
            return pl.DataFrame(schema=dict.fromkeys(BAR_COLUMNS, pl.String()))
        if "volume" not in frame.columns:
            frame = frame.with_columns(volume=pl.lit(None, dtype=pl.Float64))
        absent = [c for c in BAR_COLUMNS if c not in frame.columns]
        if absent:
            raise SourceError(
                f"bar source {self.name!r} returned no {absent} columns; fix the source adapter"
            )
        return frame.select(BAR_COLUMNS).filter(pl.col("symbol").is_in(list(symbols)))

    def offered_symbols(self) -> list[str]:
        """Symbols the source has bars for unasked (e.g. files in a drop folder); default none."""
        return []

    def close(self, succeeded: Sequence[str]) -> None:
        """Called once after a run with the symbols whose bars were stored; default does nothing."""

    def _fetch(
        self, symbols: list[str], since: datetime | None, history: pl.DataFrame | None
    ) -> pl.DataFrame:
        """The source's own fetch; returns at least ``symbol, ts, open, high, low, close``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _fetch()")
