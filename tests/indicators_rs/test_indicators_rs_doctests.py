"""The examples in the ``indicators_rs`` docstrings run and print what they show."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import indicators_rs
from indicators_rs import (
    _directional,
    _momentum,
    _namespace,
    _oscillators,
    _overlap,
    _stochastic,
    _volatility,
    _volume,
)

MODULES = [
    indicators_rs,
    _overlap,
    _momentum,
    _stochastic,
    _oscillators,
    _directional,
    _volatility,
    _volume,
    _namespace,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.__name__)
def test_docstring_examples_run_and_match_their_output(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_every_indicator_has_an_example() -> None:
    finder = doctest.DocTestFinder()
    for name in indicators_rs.INDICATORS:
        tests = finder.find(getattr(indicators_rs, name))
        assert any(test.examples for test in tests), name
