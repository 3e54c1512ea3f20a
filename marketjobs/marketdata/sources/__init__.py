"""Bar sources behind one interface, :class:`BarSource`, and the registry that builds them by name.

``file`` reads a drop folder of CSV/Parquet files, ``synthetic`` extends stored series with seeded random
walks, ``http`` asks a JSON quotes provider. ``source_from_config("http", base_url=...)`` builds one.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from marketjobs.errors import ConfigError
from marketjobs.marketdata.sources.base import BarSource, SourceError, SourceOptions, options_error
from marketjobs.marketdata.sources.file import FileSource
from marketjobs.marketdata.sources.http import HttpSource
from marketjobs.marketdata.sources.synthetic import SyntheticSource

__all__ = [
    "SOURCES",
    "BarSource",
    "FileSource",
    "HttpSource",
    "SourceError",
    "SourceOptions",
    "SyntheticSource",
    "check_source_config",
    "source_from_config",
]

#: The sources known by name.
SOURCES: dict[str, type[BarSource]] = {cls.name: cls for cls in (FileSource, HttpSource, SyntheticSource)}


def _source_class(name: str) -> type[BarSource]:
    try:
        return SOURCES[name]
    except KeyError:
        raise ConfigError(
            f"unknown bar source {name!r}; known sources: {', '.join(sorted(SOURCES))}"
        ) from None


def check_source_config(name: str, options: dict[str, Any]) -> None:
    """Raises ConfigError when ``name`` is unknown or ``options`` do not fit it; does no I/O."""
    cls = _source_class(name)
    try:
        cls.options_model.model_validate(options)
    except ValidationError as exc:
        raise ConfigError(options_error(name, cls.options_model, exc)) from None


def source_from_config(name: str, **options: Any) -> BarSource:
    """The source ``name`` built with ``options``; ConfigError lists known sources or accepted options."""
    return _source_class(name)(**options)
