"""The overview's throughput chart, laid out on the server as plain SVG geometry (no chart library, no
script): one stacked bar per time bucket (completed under failed) and the failure ratio as a line on its
own 0-100 % scale."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from marketjobs.clock import from_ms
from marketjobs.jobs.stats import Bucket

__all__ = ["Bar", "Chart", "layout"]

#: Size of the SVG's view box, in its own units (it scales to the page's width).
WIDTH, HEIGHT = 720, 170
#: Room for the axis labels: left, right, top, bottom.
LEFT, RIGHT, TOP, BOTTOM = 40, 40, 8, 18


@dataclass(frozen=True)
class Bar:
    """One bucket's bar: where the completed and failed parts go, and its tooltip."""

    x: float
    width: float
    completed_y: float
    completed_height: float
    failed_y: float
    failed_height: float
    title: str


@dataclass(frozen=True)
class Chart:
    """Everything the template draws."""

    width: int
    height: int
    bars: list[Bar]
    #: SVG path of the failure ratio (``M``/``L`` commands; a gap where a bucket had no finished job).
    ratio_path: str
    #: (x, y) of each bucket's failure ratio (dots, so a lone bucket shows too).
    ratio_points: list[tuple[float, float]]
    #: (y, label) of the left axis (jobs per bucket).
    ticks: list[tuple[float, str]]
    #: (x, label) under the bars (bucket start times, UTC).
    times: list[tuple[float, str]]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    total_completed: int
    total_failed: int


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if value <= step * power)


def _clock(epoch_ms: int, span_ms: int) -> str:
    moment = from_ms(epoch_ms)
    return moment.strftime("%m-%d %H:%M" if span_ms > 86_400_000 else "%H:%M")


def _title(bucket: Bucket) -> str:
    ratio = "" if bucket.failure_ratio is None else f" ({bucket.failure_ratio:.0%} failed)"
    return (
        f"{from_ms(bucket.start_ms):%Y-%m-%d %H:%M}-{from_ms(bucket.end_ms):%H:%M} UTC: "
        f"{bucket.completed} completed, {bucket.failed} failed{ratio}"
    )


def layout(buckets: Sequence[Bucket], *, labels: int = 6) -> Chart:
    """The chart of ``buckets`` (oldest first), with about ``labels`` time labels."""
    plot_left, plot_right, plot_top, plot_bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    plot_height = plot_bottom - plot_top
    top = _nice_ceiling(max((b.completed + b.failed for b in buckets), default=0))
    slot = (plot_right - plot_left) / max(len(buckets), 1)
    bars: list[Bar] = []
    path: list[str] = []
    points: list[tuple[float, float]] = []
    pen_down = False
    for n, bucket in enumerate(buckets):
        x = plot_left + n * slot
        completed_height = bucket.completed / top * plot_height
        failed_height = bucket.failed / top * plot_height
        completed_y = plot_bottom - completed_height
        bars.append(
            Bar(
                x=round(x + slot * 0.1, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                completed_y=round(completed_y, 2),
                completed_height=round(completed_height, 2),
                failed_y=round(completed_y - failed_height, 2),
                failed_height=round(failed_height, 2),
                title=_title(bucket),
            )
        )
        if bucket.failure_ratio is None:
            pen_down = False
            continue
        y = plot_bottom - bucket.failure_ratio * plot_height
        path.append(f"{'L' if pen_down else 'M'}{x + slot / 2:.2f} {y:.2f}")
        points.append((round(x + slot / 2, 2), round(y, 2)))
        pen_down = True
    span = buckets[-1].end_ms - buckets[0].start_ms if buckets else 0
    every = max(len(buckets) // max(labels, 1), 1)
    times = [
        (round(plot_left + n * slot, 2), _clock(b.start_ms, span))
        for n, b in enumerate(buckets)
        if n % every == 0
    ]
    ticks = [(round(plot_bottom - f * plot_height, 2), f"{top * f:g}") for f in (0, 0.5, 1)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        ratio_path=" ".join(path),
        ratio_points=points,
        ticks=ticks,
        times=times,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        total_completed=sum(b.completed for b in buckets),
        total_failed=sum(b.failed for b in buckets),
    )
