"""Bar sources behind one interface, :class:`BarSource`, and the registry that builds them by name.

``file`` reads a drop folder of CSV/Parquet files, ``synthetic`` extends stored series with seeded random
walks; every other name is an HTTP provider of the settings (``sources: {polygon: {base_url, headers}}``),
a JSON quotes API read by :class:`HttpSource`. ``source_from_config("polygon", path=...)`` builds one.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from marketjobs.config import Settings, get_settings
from marketjobs.errors import ConfigError
from marketjobs.marketdata.sources.base import BarSource, SourceError, SourceOptions, options_error
from marketjobs.marketdata.sources.file import FileSource
from marketjobs.marketdata.sources.http import HttpSource, check_options
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

#: The sources built in, known by name; the settings' ``sources:`` add HTTP providers.
SOURCES: dict[str, type[BarSource]] = {cls.name: cls for cls in (FileSource, SyntheticSource)}


def _source_class(name: str, settings: Settings) -> type[BarSource]:
    if name in SOURCES:
        return SOURCES[name]
    if name in settings.sources:
        return HttpSource
    known = ", ".join([*sorted(SOURCES), *sorted(settings.sources)])
    raise ConfigError(
        f"unknown bar source {name!r}; known sources: {known}; an HTTP provider is named in the settings "
        "(sources: {NAME: {base_url: ..., headers: ...}}) and sent as source=NAME"
    )


def check_source_config(name: str, options: dict[str, Any], *, settings: Settings | None = None) -> None:
    """Raises ConfigError when ``name`` is unknown or ``options`` do not fit it; does no I/O."""
    cls = _source_class(name, settings or get_settings())
    if cls is HttpSource:
        check_options(name, options)
    try:
        cls.options_model.model_validate(options)
    except ValidationError as exc:
        raise ConfigError(options_error(name, cls.options_model, exc)) from None


def source_from_config(name: str, *, settings: Settings | None = None, **options: Any) -> BarSource:
    """The source ``name`` built with ``options``; ConfigError lists known sources or accepted options."""
    settings = settings or get_settings()
    cls = _source_class(name, settings)
    if cls is HttpSource:
        return HttpSource(name, settings=settings, **options)
    return cls(settings=settings, **options)
