"""Range-position indicators (STOCH, STOCHF, STOCHRSI, WILLR, AROON, AROONOSC) against TA-Lib 0.8.1."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.indicators_rs.cases import (
    PINNED_BARS,
    Case,
    bars_with_gaps,
    cases_of,
    check_bars_with_gaps,
    check_random_bars,
    check_real_bars_per_symbol,
    random_bars,
)

CASES = cases_of("_stochastic")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("case", CASES, ids=str)
@given(frame=random_bars())
@SETTINGS
@example(frame=PINNED_BARS["empty"])
@example(frame=PINNED_BARS["one bar"])
@example(frame=PINNED_BARS["flat, no range, no volume"])
@example(frame=PINNED_BARS["steady rise"])
@example(frame=PINNED_BARS["zigzag"])
@example(frame=PINNED_BARS["negative and zero prices"])
def test_stochastic_equals_talib_bit_for_bit_on_random_bars(case: Case, frame: pl.DataFrame) -> None:
    check_random_bars(case, frame)


@pytest.mark.parametrize("case", CASES, ids=str)
@given(frame=bars_with_gaps())
@SETTINGS
def test_stochastic_equals_talib_on_each_run_between_missing_bars(case: Case, frame: pl.DataFrame) -> None:
    check_bars_with_gaps(case, frame)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_stochastic_over_symbol_and_by_symbol_equal_talib_per_symbol_on_real_bars(
    case: Case, daily_bars: pl.DataFrame
) -> None:
    check_real_bars_per_symbol(case, daily_bars)
