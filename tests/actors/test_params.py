"""Every number a message can carry is bounded: no option parks a worker thread for years."""

from __future__ import annotations

import importlib
import types
import typing
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel

from marketjobs.config import configure, load_settings
from marketjobs.errors import ConfigError
from marketjobs.marketdata.sources import SOURCES, check_source_config
from marketjobs.marketdata.sources.http import HttpOptions

#: Every job type's parameter model (module, class) and the models nested in them.
PARAMS_MODELS = [
    ("actors.data_import", "DataImportParams"),
    ("actors.price_update", "PriceUpdateParams"),
    ("actors.technical_analysis", "TechnicalAnalysisParams"),
    ("actors.portfolio_analysis", "PortfolioAnalysisParams"),
    ("actors.portfolio_analysis", "InlinePosition"),
    ("actors.alerts", "AlertsParams"),
    ("actors.maintenance", "MaintenanceParams"),
    ("actors.diagnostics", "SleepParams"),
]


def _models() -> list[type[BaseModel]]:
    configure(load_settings(broker_url="stub://"))  # importing the actors builds a (stub) broker
    try:
        models = [getattr(importlib.import_module(m), name) for m, name in PARAMS_MODELS]
    finally:
        configure(None)
    return [*models, HttpOptions, *(cls.options_model for cls in SOURCES.values())]


def _numbers(annotation: Any, metadata: list[Any]) -> list[tuple[type, list[Any]]]:
    """(int or float, the constraints on it) for each number ``annotation`` can hold."""
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        found = [m for e in extra for m in getattr(e, "metadata", [e])]
        return _numbers(inner, metadata + found)
    if annotation in (int, float):
        return [(annotation, metadata)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, tuple):
        return [
            n
            for arg in typing.get_args(annotation)
            for n in _numbers(arg, [] if typing.get_origin(annotation) in (list, tuple) else metadata)
        ]
    return []


def _bounded(metadata: list[Any]) -> bool:
    low = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
    high = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
    return low and high


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_number_of_every_parameter_model_has_both_bounds(model: type[BaseModel]) -> None:
    unbounded = [
        name
        for name, info in model.model_fields.items()
        for _, metadata in _numbers(info.annotation, list(info.metadata))
        if not _bounded(metadata)
    ]
    assert unbounded == [], f"{model.__name__}: give {unbounded} a lower and an upper bound"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"requests_per_minute": 1e-6}, "requests_per_minute: Input should be greater than or equal to 1"),
        ({"backoff_seconds": 1e9}, "backoff_seconds: Input should be less than or equal to 60"),
        ({"timeout_seconds": 1e9}, "timeout_seconds: Input should be less than or equal to 300"),
        ({"timeout_seconds": float("inf")}, "timeout_seconds: Input should be less than or equal to 300"),
        ({"burst": 1e12}, "burst: Input should be less than or equal to 1000"),
    ],
)
def test_http_options_that_would_park_a_thread_are_refused(options: dict[str, Any], problem: str) -> None:
    settings = load_settings(sources={"quotes": {"base_url": "https://quotes.example"}})
    with pytest.raises(ConfigError, match=problem):
        check_source_config("quotes", options, settings=settings)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"seed": 10**30}, "seed: Input should be less than or equal to"),
        ({"interval": "999999999d"}, "interval: .*use a count"),
        ({"start_price": 1e300}, "start_price: Input should be less than or equal to"),
    ],
)
def test_synthetic_options_out_of_range_are_refused(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_source_config("synthetic", options, settings=load_settings())
