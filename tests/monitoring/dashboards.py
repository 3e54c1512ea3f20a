"""Helpers for the dashboard tests: load dashboards and resolve their queries as Grafana would."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "grafana" / "dashboards"

#: What the variables resolve to when every value is selected ("All").
ALL_VALUES = {"$job": ".*", "$queue_name": ".*", "$actor_name": ".*", "$schedule": ".*"}


def dashboards() -> list[tuple[Path, dict[str, Any]]]:
    """Every dashboard file and its parsed JSON model."""
    return [(path, json.loads(path.read_text())) for path in sorted(DASHBOARDS_DIR.glob("*.json"))]


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def resolve(expr: str, rate_interval: str) -> str:
    """``expr`` with the dashboard variables and ``$__rate_interval`` filled in."""
    resolved = expr.replace("$__rate_interval", rate_interval)
    for variable, value in ALL_VALUES.items():
        resolved = resolved.replace(variable, value)
    leftover = re.findall(r"\$[A-Za-z_]\w*", resolved)  # not label_replace's "$1"
    assert not leftover, f"unresolved variables {leftover} in {expr}"
    return resolved
