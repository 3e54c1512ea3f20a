"""A benchmark run's machine-readable summary: its metrics (name -> number) and which way each is better.

Every benchmark script takes ``--json PATH`` (``make bench`` passes ``var/bench/<script>.json``) and writes

    {"script": "throughput", "git_head": "...", "date": "2026-11-25T10:00:00+00:00", "smoke": false,
     "args": {"jobs": 10000, ...}, "host": "...", "cpus": 2,
     "metrics": {"bare_jobs_per_s": 4330.0, ...}, "better": {"bare_jobs_per_s": "higher", ...}}

An existing summary at PATH is first renamed to ``<stem>.prev.json`` beside it, the run that
``benchmarks/compare.py`` compares the new one against.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

__all__ = ["Metrics", "add_json_argument", "metric_name", "previous_path", "write"]

ROOT = Path(__file__).resolve().parent.parent
Better = Literal["higher", "lower"]


def metric_name(*parts: object) -> str:
    """``metric_name("SQLite", "q=AAPL (in 14%)", "p95_ms")`` -> ``"sqlite_q_aapl_in_14_p95_ms"``."""
    text = "_".join(str(part) for part in parts if str(part))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass
class Metrics:
    """The numbers a run measured, each with the direction that is better."""

    values: dict[str, float] = field(default_factory=dict)
    better: dict[str, Better] = field(default_factory=dict)

    def higher(self, name: str, value: float | None) -> None:
        """Records ``value`` (rates, speed-ups); a larger one next time is better."""
        self._add(name, value, "higher")

    def lower(self, name: str, value: float | None) -> None:
        """Records ``value`` (times, latencies, memory, lost jobs); a smaller one next time is better."""
        self._add(name, value, "lower")

    def _add(self, name: str, value: float | None, better: Better) -> None:
        if name != metric_name(name):
            raise ValueError(f"metric name {name!r} is not snake_case; use metric_name(...) to build it")
        if value is None or not math.isfinite(value):
            return  # not measured this run (a skipped service, a division by zero)
        self.values[name] = float(value)
        self.better[name] = better


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """The ``--json PATH`` option every benchmark script takes."""
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="also write the metrics as JSON to PATH (a summary already there becomes <stem>.prev.json)",
    )


def previous_path(path: Path) -> Path:
    """Where the summary ``path`` replaced is kept: ``var/bench/api.json`` -> ``var/bench/api.prev.json``."""
    return path.with_name(f"{path.name.removesuffix('.json')}.prev.json")


def _git_head() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str | None) else str(value)


def write(path: Path | None, script: str, args: argparse.Namespace, metrics: Metrics) -> None:
    """Writes the summary of this run to ``path`` (nothing when None), keeping the one it replaces."""
    if path is None:
        return
    summary = {
        "script": Path(script).stem,
        "git_head": _git_head(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "smoke": bool(getattr(args, "smoke", False)),
        "args": {key: _plain(value) for key, value in sorted(vars(args).items()) if key != "json"},
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "metrics": metrics.values,
        "better": metrics.better,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.replace(previous_path(path))
    path.write_text(json.dumps(summary, indent=2) + "\n")
