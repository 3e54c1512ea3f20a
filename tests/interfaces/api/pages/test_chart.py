"""The overview chart's layout: bars scale to a round top, failed stacks on completed, the ratio line
breaks where no job finished."""

from __future__ import annotations

import pytest

from interfaces.api.pages.chart import BOTTOM, HEIGHT, TOP, _nice_ceiling, layout
from marketjobs.jobs.stats import Bucket

PLOT_HEIGHT = HEIGHT - BOTTOM - TOP


def bucket(n: int, completed: int, failed: int) -> Bucket:
    finished = completed + failed
    return Bucket(
        start_ms=n * 60_000,
        end_ms=(n + 1) * 60_000,
        completed=completed,
        failed=failed,
        throughput_per_minute=float(finished),
        failure_ratio=failed / finished if finished else None,
    )


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (10, 10), (11, 20), (99, 100), (250, 500), (5000, 5000)],
)
def test_axis_top_is_the_next_round_number(value: int, ceiling: int) -> None:
    assert _nice_ceiling(value) == ceiling


def test_failed_part_stacks_on_the_completed_part() -> None:
    chart = layout([bucket(0, 6, 4), bucket(1, 0, 0)])
    bar = chart.bars[0]
    assert bar.completed_height == pytest.approx(PLOT_HEIGHT * 6 / 10)
    assert bar.failed_height == pytest.approx(PLOT_HEIGHT * 4 / 10)
    assert bar.failed_y + bar.failed_height == pytest.approx(bar.completed_y)
    assert chart.bars[1].completed_height == 0
    assert (chart.total_completed, chart.total_failed) == (6, 4)
    assert "6 completed, 4 failed (40% failed)" in bar.title


def test_ratio_line_breaks_where_no_job_finished() -> None:
    chart = layout([bucket(0, 1, 1), bucket(1, 2, 0), bucket(2, 0, 0), bucket(3, 0, 3)])
    commands = [part[0] for part in chart.ratio_path.split(" ") if part[0] in "ML"]
    assert commands == ["M", "L", "M"]
    assert len(chart.ratio_points) == 3
    assert chart.ratio_points[2][1] == pytest.approx(TOP)  # 100 % failed: the top of the plot


def test_empty_window_draws_empty_bars() -> None:
    chart = layout([bucket(n, 0, 0) for n in range(60)])
    assert len(chart.bars) == 60
    assert chart.ratio_path == ""
    assert [label for _, label in chart.ticks] == ["0", "0.5", "1"]
