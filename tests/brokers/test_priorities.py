"""Priority names and how they map onto queues and RabbitMQ message priorities."""

from __future__ import annotations

import pytest

from marketjobs.brokers.priorities import (
    base_queue_name,
    parse_priority,
    priority_queue_name,
    rabbitmq_priority,
)
from marketjobs.constants import Priority
from marketjobs.errors import OptionError


@pytest.mark.parametrize(
    ("queue", "priority", "expected"),
    [
        ("analysis", Priority.NORMAL, "analysis"),
        ("analysis", Priority.HIGH, "analysis.high"),
        ("analysis.high", Priority.LOW, "analysis.low"),
        ("analysis.low", Priority.NORMAL, "analysis"),
        ("a.b", Priority.CRITICAL, "a.b.critical"),
    ],
)
def test_priority_queue_names_are_derived_from_the_base_queue(
    queue: str, priority: Priority, expected: str
) -> None:
    assert priority_queue_name(queue, priority) == expected
    assert base_queue_name(expected) == base_queue_name(queue)


def test_rabbitmq_priorities_order_critical_first() -> None:
    values = [rabbitmq_priority(p) for p in Priority]
    assert values == sorted(values, reverse=True)
    assert min(values) >= 1


@pytest.mark.parametrize(
    ("given", "expected"), [(None, Priority.NORMAL), ("HIGH", Priority.HIGH), ("low", Priority.LOW)]
)
def test_priority_names_are_case_insensitive(given: str | None, expected: Priority) -> None:
    assert parse_priority(given) is expected


def test_unknown_priority_lists_the_choices() -> None:
    with pytest.raises(OptionError, match="critical, high, normal, low"):
        parse_priority("urgent")
