"""benchmarks/summary.py: the JSON summary a benchmark run writes with --json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from benchmarks.summary import Metrics, metric_name, previous_path, write


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (("SQLite", "q=AAPL (in 14% of jobs)", "p95_ms"), "sqlite_q_aapl_in_14_of_jobs_p95_ms"),
        (("memory", "RSI .over, shuffled", "peak_vs_output_x"), "memory_rsi_over_shuffled_peak_vs_output_x"),
        (("bare", "", "jobs_per_s"), "bare_jobs_per_s"),
    ],
)
def test_metric_name_is_snake_case_of_its_parts(parts: tuple[str, ...], name: str) -> None:
    assert metric_name(*parts) == name


def test_metrics_keep_their_direction_and_drop_what_was_not_measured() -> None:
    metrics = Metrics()
    metrics.higher("jobs_per_s", 10)
    metrics.lower("p95_ms", 2.5)
    metrics.lower("scale_down_s", float("nan"))
    metrics.lower("to_max_s", None)
    assert metrics.values == {"jobs_per_s": 10.0, "p95_ms": 2.5}
    assert metrics.better == {"jobs_per_s": "higher", "p95_ms": "lower"}


def test_a_metric_name_that_is_not_snake_case_is_an_error_naming_the_fix() -> None:
    with pytest.raises(ValueError, match="use metric_name"):
        Metrics().higher("Jobs/s", 1.0)


def test_write_keeps_the_summary_it_replaces_as_prev(tmp_path: Path) -> None:
    path = tmp_path / "var" / "bench" / "api.json"
    metrics = Metrics()
    metrics.lower("sqlite_p95_ms", 3.0)
    args = argparse.Namespace(rows=20_000, smoke=True, json=path, dir=tmp_path)
    write(path, "benchmarks/api.py", args, metrics)
    first = path.read_text()
    write(path, "benchmarks/api.py", args, metrics)
    assert previous_path(path) == tmp_path / "var" / "bench" / "api.prev.json"
    assert previous_path(path).read_text() == first
    summary = json.loads(path.read_text())
    assert summary["script"] == "api"
    assert summary["smoke"] is True
    assert summary["args"] == {"dir": str(tmp_path), "rows": 20_000, "smoke": True}
    assert summary["metrics"] == {"sqlite_p95_ms": 3.0}
    assert summary["better"] == {"sqlite_p95_ms": "lower"}
    assert {"git_head", "date", "host", "cpus"} <= summary.keys()


def test_write_without_a_path_writes_nothing(tmp_path: Path) -> None:
    write(None, "benchmarks/api.py", argparse.Namespace(), Metrics())
    assert not list(tmp_path.iterdir())
