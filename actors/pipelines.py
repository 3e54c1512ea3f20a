"""The market pipeline: ``price_update -> technical_analysis -> alerts`` as one Dramatiq pipeline.

Each step starts when the one before it succeeds (a step that dead-letters stops the pipeline there, and its
job record says why). Steps ignore the previous step's result (``pipe_ignore``): each reads what it needs
from the store. When technical analysis fans a large universe out in chunks, the chunks' completion
callback carries the pipeline on, so alerts see every chunk's snapshots and signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import dramatiq

from actors.alerts import alerts
from actors.price_update import price_update
from actors.technical_analysis import technical_analysis
from marketjobs.analysis.technical import DEFAULT_INDICATORS

__all__ = ["market_pipeline"]


def market_pipeline(
    *,
    source: str,
    symbols: Sequence[str] | Literal["all"] = "all",
    source_options: dict[str, Any] | None = None,
    indicators: Sequence[str | dict[str, Any]] = DEFAULT_INDICATORS,
    patterns: Sequence[str] | Literal["all"] | None = "all",
    chunk_size: int | None = None,
) -> Any:
    """The pipeline's messages, validated (a bad parameter raises ParameterError here); call ``.run()``."""
    chosen: list[str] | Literal["all"] = "all" if symbols == "all" else list(symbols)
    analysis: dict[str, Any] = {
        "symbols": chosen,
        "indicators": list(indicators),
        "patterns": patterns if patterns in ("all", None) else list(patterns or []),
    }
    if chunk_size is not None:
        analysis["chunk_size"] = chunk_size
    return dramatiq.pipeline(  # on the actors' broker, not whichever is global
        [
            price_update.message_with_options(
                kwargs={"symbols": chosen, "source": source, "options": dict(source_options or {})},
                pipe_ignore=True,
            ),
            technical_analysis.message_with_options(kwargs=analysis, pipe_ignore=True),
            alerts.message_with_options(
                kwargs={} if chosen == "all" else {"symbols": chosen}, pipe_ignore=True
            ),
        ],
        broker=price_update.broker,
    )
