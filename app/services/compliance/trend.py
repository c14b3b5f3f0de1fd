"""Lay out a compliance trend as a line chart (coordinates only; the template draws the SVG)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.services.compliance.snapshots import TREND_MONTHS, TrendPoint, months_back

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # the month, e.g. "Mar 2026"
    percent: float


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    points: list[ChartPoint]
    path: str  # the SVG path of the line (gaps where nobody was due to train)
    gridlines: list[tuple[float, str]]  # (y, label) for 0%, 25%, … 100%
    x_labels: list[tuple[float, str]]
    left: int
    right: int
    bottom: int
    description: str


def trend_chart(points: list[TrendPoint], on: date, months: int = TREND_MONTHS) -> TrendChart | None:
    """None when there are no snapshots to draw. The x axis runs from the first day of the window to `on`."""
    if not points:
        return None
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    start = months_back(on, months - 1)
    span = max(1, (on - start).days)

    def x_of(day: date) -> float:
        return round(LEFT + plot_width * (day - start).days / span, 1)

    def y_of(percent: float) -> float:
        return round(TOP + plot_height * (1 - percent / 100), 1)

    x_labels = [(x_of(months_back(on, n)), months_back(on, n).strftime("%b")) for n in range(months - 1, -1, -1)]
    drawn, path, pen_down = [], [], False
    for point in points:
        if point.percent is None:
            pen_down = False
            continue
        x, y = x_of(point.day), y_of(point.percent)
        drawn.append(ChartPoint(x, y, point.day.strftime("%b %Y"), point.percent))
        path.append(f"{'L' if pen_down else 'M'} {x} {y}")
        pen_down = True
    gridlines = [(y_of(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    description = describe([point for point in points if point.percent is not None])
    return TrendChart(WIDTH, HEIGHT, drawn, " ".join(path), gridlines, x_labels, LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM,
                      description)


def describe(points: list[TrendPoint]) -> str:
    """The chart in words, from its first and last months: "Compliance rose from 41% in January 2026 to 46% in
    December 2026", or what the one month shows when there is only one."""
    if not points:
        return "Nobody was due to train in this period."
    first, last = points[0], points[-1]

    def month(point: TrendPoint) -> str:
        return point.day.strftime("%B %Y")

    if (first.day.year, first.day.month) == (last.day.year, last.day.month):
        return (f"Compliance was {round(last.percent)}% in {month(last)}, the only month with figures so far; "
                "the table below gives them.")
    before, after = round(first.percent), round(last.percent)
    if after == before:
        change = f"Compliance was {after}% in both {month(first)} and {month(last)}"
    else:
        verb = "rose" if after > before else "fell"
        change = f"Compliance {verb} from {before}% in {month(first)} to {after}% in {month(last)}"
    low, high = min(points, key=lambda p: p.percent), max(points, key=lambda p: p.percent)
    if round(low.percent) < min(before, after) or round(high.percent) > max(before, after):
        change += f", between a low of {round(low.percent)}% ({month(low)}) and a high of {round(high.percent)}% ({month(high)})"
    return f"{change}; the table below gives every month's figure."
