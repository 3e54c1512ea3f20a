"""The jobs page's GET form: read into the API's filter, empty fields ignored, bad values reported."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

import pytest
from starlette.datastructures import QueryParams

from interfaces.api.pages.job_form import JobForm, api_query, read_form
from marketjobs.clock import to_ms


def form(query: str) -> JobForm:
    return read_form(QueryParams(query))


def test_empty_fields_match_everything() -> None:
    found = form("status=&job_type=&queue=&priority=&since=&until=&worker=&q=")
    assert found.problems == []
    assert found.filter.conditions() == []
    assert not found.active


def test_fields_become_the_api_filter() -> None:
    found = form(
        "status=dead&status=running&job_type=price_update&priority=high&q=AAPL&since=2026-01-02T03:04"
    )
    assert found.filter.statuses == ["dead", "running"]
    assert found.filter.job_types == ["price_update"]
    assert found.filter.priorities == ["high"]
    assert found.filter.text == "AAPL"
    assert found.filter.since_ms == to_ms(datetime(2026, 1, 2, 3, 4))
    assert dict(parse_qsl(api_query(found.filter)))["since_ms"] == str(found.filter.since_ms)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("status=lost", "status: unknown 'lost'"),
        ("priority=urgent", "priority: unknown 'urgent'"),
        ("since=yesterday", "since: 'yesterday' is not a date-time"),
        ("q=" + "x" * 201, "q: at most 200 characters"),
    ],
)
def test_bad_values_are_reported_not_raised(query: str, problem: str) -> None:
    found = form(query)
    assert any(p.startswith(problem) for p in found.problems), found.problems


def test_page_query_round_trips() -> None:
    found = form("status=dead&q=AAPL&worker=")
    assert read_form(QueryParams(found.query())).query() == found.query() == "status=dead&q=AAPL"
