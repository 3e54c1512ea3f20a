"""Random keyword parameters through every job type's ``.send()``: accepted, or a ParameterError naming the
problem; never another exception.

The job types are the actors of ``actors/*.py`` with a ``params_model``. Parameters are drawn per field of
the model (values of the field's type, plausible strings, and random JSON-like values: nulls, booleans, huge
integers, NaN and infinities, odd text, nested lists and objects) plus unknown names. A message that is
accepted must hold parameters its worker accepts too (the worker validates them again), so a normalisation
that does not survive a round trip through JSON would show here.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import dramatiq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import actors
from marketjobs.config import configure, get_settings
from marketjobs.errors import ParameterError
from marketjobs.jobs.params import ValidatedActor, parse_params
from tests.actors.conftest import actor_module


def _job_types() -> dict[str, tuple[str, str]]:
    """actor name -> (module of actors/, attribute) for every actor with a params_model."""
    configure(get_settings().model_copy(update={"broker_url": "stub://"}))
    found: dict[str, tuple[str, str]] = {}
    try:
        for info in pkgutil.iter_modules(actors.__path__):
            module = importlib.import_module(f"actors.{info.name}")
            for attribute, value in vars(module).items():
                if isinstance(value, ValidatedActor) and value.__module__ == module.__name__:
                    found[value.actor_name] = (info.name, attribute)
    finally:
        configure(None)
    return found


JOB_TYPES = _job_types()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63) - 1, 10**30])
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
#: Strings some field somewhere accepts (symbols, sources, zones, indicator names, paths, dates ...).
plausible_strings = st.sampled_from(
    [
        "AAPL", "MSFT", "all", "synthetic", "file", "UTC", "America/New_York", "sma", "rsi", "macd",
        "cdlengulfing", "retention", "vacuum", "cleanup", "csv", "parquet", "var/imports/bars.csv",
        "2024-01-02", "%Y-%m-%d", "", " ", "\x00", "../../etc/passwd", "é" * 300, "1e309",
    ]
)  # fmt: skip


def _typed(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of a parameter's type (nested models as the dicts a sender passes)."""
    origin, args = get_origin(annotation), get_args(annotation)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=20) | plausible_strings,
        int: st.integers(),
        float: st.floats(),
        bool: st.booleans(),
        type(None): st.none(),
        datetime.date: st.dates(),
    }
    if annotation in simple:
        return simple[annotation]
    if origin is Literal:
        return st.sampled_from(args)
    if origin is Annotated:
        return _typed(args[0])
    if origin in (Union, types.UnionType):
        return st.one_of([_typed(arg) for arg in args])
    if origin is list:
        return st.lists(_typed(args[0]), max_size=4)
    if origin is dict:
        return st.dictionaries(st.text(max_size=8) | plausible_strings, _typed(args[1]), max_size=3)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = {name: _typed(field.annotation) for name, field in annotation.model_fields.items()}
        return st.fixed_dictionaries({}, optional=fields)
    return json_values


def _field_values(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of the field's type, plausible strings and JSON-like noise."""
    return st.one_of(
        _typed(annotation), json_values, plausible_strings, st.lists(plausible_strings, max_size=3)
    )


def _parameters(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    optional = {name: _field_values(field.annotation) for name, field in model.model_fields.items()}
    unknown = st.dictionaries(st.text(min_size=1, max_size=12), json_values, max_size=1)
    known = st.fixed_dictionaries({}, optional=optional)
    return st.builds(lambda a, b: {**b, **a}, known, unknown | st.just({}))


def _models() -> dict[str, type[BaseModel]]:
    configure(get_settings().model_copy(update={"broker_url": "stub://"}))
    try:
        return {
            name: getattr(importlib.import_module(f"actors.{module}"), attribute).params_model
            for name, (module, attribute) in JOB_TYPES.items()
        }
    finally:
        configure(None)


#: The parameters drawn for each job type.
PARAMETERS = {name: _parameters(model) for name, model in _models().items()}


@pytest.fixture(params=sorted(JOB_TYPES))
def job_type(request: pytest.FixtureRequest, broker: dramatiq.Broker) -> Iterator[ValidatedActor]:
    """One job type's actor, bound to the test's stub broker."""
    module_name, attribute = JOB_TYPES[request.param]
    with actor_module(broker, module_name, attribute) as module:
        yield getattr(module, attribute)


def test_every_job_type_is_fuzzed() -> None:
    assert {"technical_analysis", "price_update", "data_import", "portfolio_analysis", "alerts"} <= set(
        JOB_TYPES
    )
    assert "maintenance" in JOB_TYPES


@pytest.mark.parametrize("broker", ["stub"], indirect=True)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_parameters_are_accepted_or_refused_naming_the_problem(
    job_type: ValidatedActor, data: st.DataObject
) -> None:
    model = job_type.params_model
    kwargs = data.draw(PARAMETERS[job_type.actor_name], label="kwargs")
    try:
        message = job_type.send(**kwargs)
    except ParameterError as exc:
        text = str(exc)
        prefix = f"invalid {job_type.actor_name} parameters: "
        assert text.startswith(prefix), f"the error does not say which job's parameters: {text}"
        names = {*model.model_fields, *kwargs, "parameters"}
        assert any(f"{name}:" in text or f"{name}." in text for name in names), f"no parameter named: {text}"
        return
    # The worker validates again what the sender normalised: it must still be valid.
    parse_params(model, message.kwargs, job_type.actor_name)


@pytest.mark.parametrize("broker", ["stub"], indirect=True)
@pytest.mark.parametrize("zone", ["America", "é" * 300])
def test_a_zone_folder_or_an_overlong_zone_name_is_a_parameter_error(
    broker: dramatiq.Broker, zone: str
) -> None:
    # Found by the fuzz test: zoneinfo raises OSError for these, which escaped the model's validator.
    with (
        actor_module(broker, "data_import", "data_import") as module,
        pytest.raises(ParameterError, match="unknown time zone"),
    ):
        module.data_import.send(path="bars.csv", timezone=zone)
