"""What got worse: each benchmark summary against the run before it (``make bench`` runs this last).

For every ``var/bench/<script>.json`` given it reads the previous run's ``<script>.prev.json`` (see
benchmarks/summary.py) and prints each metric that got worse by more than the threshold, in the direction
the summary says is better (fewer jobs/s, more milliseconds). It measures nothing itself. A smoke run is
only compared with a smoke run; differing arguments are printed, since they change what the numbers mean.

    .venv/bin/python benchmarks/compare.py var/bench/throughput.json [...] [--threshold 0.10] [--strict]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.summary import previous_path

__all__ = ["Change", "Comparison", "compare", "report", "worse"]

#: Fraction by which a metric must get worse to be reported (0.10: 10% fewer jobs/s or 10% more ms).
DEFAULT_THRESHOLD = 0.10


@dataclass(frozen=True)
class Change:
    """One metric of two runs."""

    name: str
    previous: float
    current: float
    better: str

    @property
    def worse_by(self) -> float:
        """How much worse the current value is, as a fraction of the previous (negative: it improved);
        infinite when the previous value was 0 and the current one is worse (a lost job where none was)."""
        sign = 1.0 if self.better == "lower" else -1.0
        delta = sign * (self.current - self.previous)
        if self.previous == 0:
            return 0.0 if delta == 0 else math.copysign(math.inf, delta)
        return delta / abs(self.previous)

    def __str__(self) -> str:
        change = f"{(self.current - self.previous) / abs(self.previous):+.0%}" if self.previous else "was 0"
        return f"{self.name}: {self.previous:.4g} -> {self.current:.4g} ({change}; {self.better} is better)"


def worse(
    previous: Mapping[str, float],
    current: Mapping[str, float],
    better: Mapping[str, str],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Change]:
    """The metrics of both runs that got worse by more than ``threshold``, worst first; a metric whose
    direction ``better`` does not give ("higher" or "lower") is an error."""
    changes = []
    for name in sorted(previous.keys() & current.keys()):
        if better.get(name) not in ("higher", "lower"):
            raise ValueError(f"metric {name!r} has no direction; record it with Metrics.higher or .lower")
        change = Change(name, previous[name], current[name], better[name])
        if change.worse_by > threshold:
            changes.append(change)
    return sorted(changes, key=lambda c: c.worse_by, reverse=True)


@dataclass(frozen=True)
class Comparison:
    """A summary against the one before it: a heading, the metrics that got worse, and notes."""

    heading: str
    worse: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [self.heading, *(f"  {change}" for change in self.worse), *(f"  {n}" for n in self.notes)]


def compare(
    old: Mapping[str, Any], new: Mapping[str, Any], threshold: float = DEFAULT_THRESHOLD
) -> Comparison:
    """Summary ``new`` (as benchmarks/summary.py writes it) against ``old``."""
    script = new.get("script", "?")
    if bool(old.get("smoke")) != bool(new.get("smoke")):
        kinds = ("a full run", "a smoke run")
        return Comparison(f"{script}: not compared, {kinds[bool(new.get('smoke'))]} against "
                          f"{kinds[bool(old.get('smoke'))]}")  # fmt: skip
    old_metrics, new_metrics = old.get("metrics", {}), new.get("metrics", {})
    found = worse(old_metrics, new_metrics, {**old.get("better", {}), **new.get("better", {})}, threshold)
    notes = []
    old_args, new_args = old.get("args", {}), new.get("args", {})
    if differing := sorted(
        k for k in old_args.keys() | new_args.keys() if old_args.get(k) != new_args.get(k)
    ):
        notes.append(
            "arguments differ: " + ", ".join(f"{k} {old_args.get(k)} -> {new_args.get(k)}" for k in differing)
        )
    if gone := sorted(old_metrics.keys() - new_metrics.keys()):
        notes.append(f"not measured this time: {', '.join(gone)}")
    since = f"{str(old.get('git_head') or '?')[:9]} of {old.get('date', '?')}"
    compared = len(old_metrics.keys() & new_metrics.keys())
    verdict = f"{len(found) or 'none'} worse by more than {threshold:.0%}"
    return Comparison(f"{script}: {compared} metrics against {since}: {verdict}", found, notes)


def report(path: Path, threshold: float = DEFAULT_THRESHOLD) -> Comparison:
    """The summary at ``path`` against the ``.prev.json`` beside it (the run it replaced)."""
    new = json.loads(path.read_text())
    old_path = previous_path(path)
    if not old_path.exists():
        return Comparison(
            f"{new.get('script', path.stem)}: no previous run ({old_path}); this one is the baseline"
        )
    return compare(json.loads(old_path.read_text()), new, threshold)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("summaries", nargs="+", type=Path, metavar="SUMMARY", help="var/bench/<script>.json")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="fraction worse to report")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any metric got worse")
    args = parser.parse_args()
    total = 0
    for path in args.summaries:
        if not path.exists():
            print(f"{path.stem}: no summary at {path} (the benchmark did not finish?)")
            continue
        comparison = report(path, args.threshold)
        print("\n".join(comparison.lines()))
        total += len(comparison.worse)
    if total and args.strict:
        sys.exit(1)


if __name__ == "__main__":
    main()
