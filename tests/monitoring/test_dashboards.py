"""Dashboard lint: valid models that import on the first try, with the conventions DESIGN.md asks for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring.dashboards import dashboards, panels, resolve
from tests.servers import require_tool

DASHBOARDS = dashboards()
IDS = [path.name for path, _ in DASHBOARDS]
RATE_FUNCTIONS = re.compile(r"\b(rate|irate|increase|deriv|delta)\(")
RANGE = re.compile(r"\[([^\]]*)\]")


def ranges_of_rate_functions(expr: str) -> list[str]:
    """The range selector each rate-like function in ``expr`` applies to (the first one after its name)."""
    found = []
    for match in RATE_FUNCTIONS.finditer(expr):
        selector = RANGE.search(expr, match.end())
        found.append(selector.group(1) if selector else "")
    return found


@pytest.mark.parametrize(
    ("expr", "ranges"),
    [
        ('sum(rate(x{a="b"}[$__rate_interval]))', ["$__rate_interval"]),
        ("rate(x[5m]) / rate(y[$__rate_interval])", ["5m", "$__rate_interval"]),
        ("deriv(x[1h])", ["1h"]),
    ],
)
def test_the_lint_finds_the_range_of_each_rate_function(expr: str, ranges: list[str]) -> None:
    assert ranges_of_rate_functions(expr) == ranges


def test_there_are_dashboards_with_unique_fixed_uids() -> None:
    uids = [model.get("uid") for _, model in DASHBOARDS]
    assert {
        "marketjobs-overview",
        "marketjobs-queues",
        "marketjobs-market-data",
        "marketjobs-scheduler",
    } <= set(uids)
    assert all(isinstance(uid, str) and uid for uid in uids)
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize(("path", "model"), DASHBOARDS, ids=IDS)
def test_dashboard_uses_a_datasource_variable_and_the_standard_variables(
    path: Path, model: dict[str, Any]
) -> None:
    text = path.read_text()
    assert "${DS_" not in text, "use the datasource variable, not import inputs"
    assert "__inputs" not in model, "use the datasource variable, not import inputs"
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert {"job", "queue_name", "actor_name"} <= set(variables)


@pytest.mark.parametrize(("path", "model"), DASHBOARDS, ids=IDS)
def test_every_panel_has_a_description_a_unit_the_datasource_variable_and_rate_interval(
    path: Path, model: dict[str, Any]
) -> None:
    ids = [panel["id"] for panel in panels(model)]
    assert len(ids) == len(set(ids)), f"{path.name}: panel ids must be unique"
    for panel in panels(model):
        if panel["type"] == "row":
            continue
        title = panel["title"]
        assert panel.get("description"), f"{title}: add a description"
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{title}: set a unit"
        assert panel["datasource"]["uid"] == "${datasource}", f"{title}: use the datasource variable"
        assert panel["targets"], f"{title}: a panel needs a query"
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), f"{title}: refIds must be unique"
        for target in panel["targets"]:
            expr = target["expr"]
            assert target["datasource"]["uid"] == "${datasource}"
            for selector in ranges_of_rate_functions(expr):
                assert selector == "$__rate_interval", f"{title}: use [$__rate_interval], not [{selector}]"


def test_every_panel_query_is_valid_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard_query_{n}", "expr": resolve(target["expr"], "5m")}
        for n, target in enumerate(
            t for _, model in DASHBOARDS for panel in panels(model) for t in panel.get("targets", [])
        )
    ]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [require_tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("path", "model"), DASHBOARDS, ids=IDS)
def test_panels_fit_the_24_column_grid_without_overlapping(path: Path, model: dict[str, Any]) -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in panels(model):
        grid = panel["gridPos"]
        assert grid["x"] >= 0, f"{panel['title']}: outside the grid"
        assert grid["x"] + grid["w"] <= 24, f"{panel['title']}: outside the grid"
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]
