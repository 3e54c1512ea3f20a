"""benchmarks/compare.py: which metrics of a benchmark summary got worse than in the run before."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pytest

from benchmarks.compare import Change, compare, report, worse
from benchmarks.summary import Metrics, write


@pytest.mark.parametrize(
    ("previous", "current", "better", "reported"),
    [
        (100.0, 89.0, "higher", True),  # 11% fewer jobs/s
        (100.0, 91.0, "higher", False),  # 9%: noise
        (100.0, 150.0, "higher", False),  # faster
        (10.0, 11.5, "lower", True),  # 15% more milliseconds
        (10.0, 10.9, "lower", False),
        (10.0, 5.0, "lower", False),  # quicker
        (0.0, 1.0, "lower", True),  # a lost job where none was
        (0.0, 0.0, "lower", False),
        (-2.0, -2.5, "higher", True),  # a negative value, 25% further down
    ],
)
def test_a_metric_is_reported_when_worse_by_more_than_the_threshold_in_its_direction(
    previous: float, current: float, better: str, reported: bool
) -> None:
    found = worse({"m": previous}, {"m": current}, {"m": better}, threshold=0.10)
    assert bool(found) == reported


def test_worse_metrics_come_worst_first_and_new_or_gone_ones_are_not_compared() -> None:
    previous = {"a_per_s": 100.0, "b_ms": 10.0, "gone_ms": 1.0}
    current = {"a_per_s": 80.0, "b_ms": 20.0, "new_ms": 99.0}
    better = {"a_per_s": "higher", "b_ms": "lower", "gone_ms": "lower", "new_ms": "lower"}
    assert [c.name for c in worse(previous, current, better)] == ["b_ms", "a_per_s"]


def test_a_metric_without_a_direction_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'m' has no direction"):
        worse({"m": 1.0}, {"m": 2.0}, {})


def test_worse_by_is_a_fraction_of_the_previous_value_and_infinite_from_zero() -> None:
    assert Change("m", 10.0, 12.0, "lower").worse_by == pytest.approx(0.2)
    assert Change("m", 10.0, 12.0, "higher").worse_by == pytest.approx(-0.2)
    assert Change("m", 0.0, 3.0, "lower").worse_by == math.inf
    assert str(Change("m", 0.0, 3.0, "lower")) == "m: 0 -> 3 (was 0; lower is better)"
    assert (
        str(Change("jobs_per_s", 200.0, 150.0, "higher")) == "jobs_per_s: 200 -> 150 (-25%; higher is better)"
    )


def _summary(metrics: dict[str, float], *, smoke: bool = False, **args: Any) -> dict[str, Any]:
    return {
        "script": "throughput",
        "git_head": "0123456789abcdef",
        "date": "2026-11-25T10:00:00+00:00",
        "smoke": smoke,
        "args": {"jobs": 10_000, **args},
        "metrics": metrics,
        "better": {name: "higher" for name in metrics},
    }


def test_compare_prints_a_heading_then_each_worse_metric_and_the_arguments_that_differ() -> None:
    old = _summary({"bare_jobs_per_s": 4000.0, "sqlite_jobs_per_s": 3000.0})
    new = _summary({"bare_jobs_per_s": 4100.0, "sqlite_jobs_per_s": 2000.0}, jobs=5000)
    assert compare(old, new).lines() == [
        "throughput: 2 metrics against 012345678 of 2026-11-25T10:00:00+00:00: 1 worse by more than 10%",
        "  sqlite_jobs_per_s: 3000 -> 2000 (-33%; higher is better)",
        "  arguments differ: jobs 10000 -> 5000",
    ]


def test_a_smoke_run_is_not_compared_with_a_full_run() -> None:
    comparison = compare(_summary({"m": 1.0}), _summary({"m": 0.1}, smoke=True))
    assert comparison.worse == []
    assert comparison.lines() == ["throughput: not compared, a smoke run against a full run"]


def test_report_compares_a_written_summary_with_the_one_it_replaced(tmp_path: Path) -> None:
    path = tmp_path / "bench" / "throughput.json"
    args = argparse.Namespace(jobs=100, smoke=False, json=path)
    first, second = Metrics(), Metrics()
    first.lower("drain_s", 10.0)
    second.lower("drain_s", 13.0)
    write(path, "benchmarks/throughput.py", args, first)
    assert report(path).heading.endswith("this one is the baseline")
    write(path, "benchmarks/throughput.py", args, second)
    assert [str(c) for c in report(path).worse] == ["drain_s: 10 -> 13 (+30%; lower is better)"]
