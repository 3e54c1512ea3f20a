"""The scaling decision, as a table: up fast on latency or depth, down slowly after a quiet cool-down."""

from __future__ import annotations

import pytest

from marketjobs.config import PoolSettings
from supervisor.scaling import Decision, PoolLoad, ScaleState, decide

POOL = PoolSettings(
    min=1, max=4, threads=2, target_latency_seconds=5, jobs_per_process=10, scale_down_after_seconds=60
)


@pytest.mark.parametrize(
    ("current", "latency", "waiting", "quiet_for", "expected"),
    [
        (0, 0.0, 0, 0, Decision(1, "up", "below_min")),
        (5, 0.0, 0, 0, Decision(4, "down", "above_max")),
        (1, 6.0, 3, 0, Decision(2, "up", "latency")),
        (2, 1.0, 25, 0, Decision(3, "up", "depth")),
        (4, 99.0, 500, 0, Decision(4, "none", "steady")),  # never above max
        (2, 0.0, 0, 59, Decision(2, "none", "steady")),  # not quiet long enough
        (2, 0.0, 0, 61, Decision(1, "down", "idle")),
        (2, 0.0, 3, 61, Decision(2, "none", "steady")),  # one process fewer could not hold 3 in flight
        (1, 0.0, 0, 600, Decision(1, "none", "steady")),  # never below min
        (2, 2.0, 4, 0, Decision(2, "none", "steady")),  # under target, under depth
    ],
)
def test_decision_table(
    current: int, latency: float, waiting: int, quiet_for: float, expected: Decision
) -> None:
    state = ScaleState(busy_at=1000.0, changed_at=1000.0)
    assert decide(POOL, current, PoolLoad(latency, waiting), state, 1000.0 + quiet_for) == expected


def test_an_empty_pool_with_min_zero_starts_one_process_for_a_backlog() -> None:
    pool = PoolSettings(min=0, max=2)
    state = ScaleState()
    assert decide(pool, 0, PoolLoad(0.0, 1), state, 10.0) == Decision(1, "up", "backlog")
    assert decide(pool, 0, PoolLoad(0.0, 0), state, 11.0) == Decision(0, "none", "steady")


def test_scaling_up_one_step_per_decision_and_down_only_after_the_cool_down_since_the_last_change() -> None:
    state = ScaleState()
    busy = PoolLoad(30.0, 100)
    idle = PoolLoad(0.0, 0)
    sizes = [1]
    for tick in range(4):
        sizes.append(decide(POOL, sizes[-1], busy, state, float(tick)).target)
    assert sizes == [1, 2, 3, 4, 4]
    assert decide(POOL, 4, idle, state, 30.0).target == 4  # busy 26 s ago
    assert decide(POOL, 4, idle, state, 64.0) == Decision(3, "down", "idle")
    assert decide(POOL, 3, idle, state, 100.0).target == 3  # the last change was 36 s ago
    assert decide(POOL, 3, idle, state, 125.0).target == 2


def test_pool_settings_refuse_a_min_above_max() -> None:
    with pytest.raises(ValueError, match="must not exceed max"):
        PoolSettings(min=3, max=2)
