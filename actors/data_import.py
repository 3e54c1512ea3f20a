"""``data_import``: bulk-load price bars from CSV / CSV.gz / Parquet files into the store.

Parameters are checked by :class:`DataImportParams` when the message is made (``send``, ``message`` for
pipelines), so a bad one fails in the sender with :class:`~marketjobs.errors.ParameterError`; one that reaches
a worker anyway (or a missing file, or a path outside the settings' ``import_roots``, symlinks followed) goes
straight to dead letters. The rejected-rows report goes to the settings' ``reports_dir`` as
``<job id>.<report_format>`` and never overwrites a file (a retry writes ``<job id>.1.csv``). The work is
:func:`marketjobs.marketdata.importer.import_bars`; this module only validates, reports progress, honours
cancel between chunks and returns the summary that the job record keeps (a cancelled job keeps the summary of
the chunks it imported).
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Any, Literal

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from marketjobs.config import get_settings
from marketjobs.guards.paths import safe_id
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.marketdata.importer import import_bars
from marketjobs.store.bars import MAX_SOURCE_LENGTH, MAX_SYMBOL_LENGTH
from marketjobs.store.engine import create_store_engine

__all__ = ["DataImportParams", "data_import"]

#: Longest an import may run (6 hours): a multi-GB history over a slow link.
TIME_LIMIT_MS = 6 * 3600 * 1000


class DataImportParams(BaseModel):
    """Parameters of the ``data_import`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A CSV / CSV.gz / Parquet file, or a directory of them, as seen by the worker; under import_roots.
    path: str = Field(min_length=1)
    #: File column -> bar column, e.g. {"Date": "ts", "Close": "close"}; common names map themselves.
    columns: dict[str, str] | None = None
    #: Symbol of every row; default: the symbol column, else the file name up to its first dot.
    symbol: str | None = Field(None, min_length=1, max_length=MAX_SYMBOL_LENGTH)
    chunk_rows: int = Field(100_000, ge=1, le=5_000_000)
    #: chrono format of text timestamps (e.g. "%d/%m/%Y"); default: ISO-8601 forms.
    ts_format: str | None = None
    #: Zone of naive timestamps and dates.
    timezone: str = "UTC"
    source: str = Field("import", min_length=1, max_length=MAX_SOURCE_LENGTH)
    #: Format of the rejected-rows report, written to the settings' reports_dir as <job id>.<report_format>.
    report_format: Literal["csv", "parquet"] = "csv"

    @model_validator(mode="before")
    @classmethod
    def _no_reports_dir(cls, data: Any) -> Any:
        if isinstance(data, dict) and "reports_dir" in data:
            raise ValueError(
                "reports_dir comes from the settings (reports_dir), never from a message; remove it"
            )
        return data

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("a path cannot hold a NUL byte")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a name too long
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'America/New_York'"
            ) from None
        return value


class _DataImportActor(ValidatedActor):
    params_model = DataImportParams


@dramatiq.actor(
    actor_class=_DataImportActor,
    queue_name="data_import",
    max_retries=3,
    time_limit=TIME_LIMIT_MS,
    default_priority="low",
)
def data_import(**kwargs: Any) -> dict[str, Any]:
    """Imports bars from files (see :class:`DataImportParams`); returns the import summary."""
    params = parse_params(DataImportParams, kwargs, "data_import")
    job = current_job()
    job.raise_if_cancelled()
    job.progress(0.0, f"importing {params.path}")
    settings = get_settings()
    report = f"{safe_id(job.id, 'the job id')}.{params.report_format}"

    summary = import_bars(
        params.path,
        create_store_engine(settings.database_url),
        columns=params.columns,
        symbol=params.symbol,
        chunk_rows=params.chunk_rows,
        ts_format=params.ts_format,
        timezone=params.timezone,
        source=params.source,
        report_path=Path(settings.reports_dir) / report,
        roots=settings.import_roots,
        max_bytes=settings.max_import_bytes,
        max_line_bytes=settings.max_line_bytes,
        progress=job.progress,
        should_stop=lambda: job.cancelled,  # the job then ends as cancelled, keeping this partial summary
    )
    return summary.as_dict()
