"""The examples in the ``indicators_rs`` docstrings run and print what they show."""

from __future__ import annotations

import doctest

import indicators_rs


def test_docstring_examples_run_and_match_their_output() -> None:
    result = doctest.testmod(indicators_rs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
