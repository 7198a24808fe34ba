"""Geometry of the overview's trend chart (open and overdue per day); the template draws it as SVG.

Tooltips are SVG `<title>` elements on one hover band per day: the browser shows them, no script needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from worker.store.records import HistoryPoint

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True, slots=True)
class Band:
    x: float
    width: float
    tip: str


@dataclass(frozen=True, slots=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    open_path: str
    overdue_path: str
    bands: tuple[Band, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    days: int


def nice_top(value: int) -> int:
    """The smallest 2, 5 or 10 times a power of ten that is at least `value` (its half stays whole)."""
    scale = 1
    while True:
        for step in (2, 5, 10):
            if step * scale >= value:
                return step * scale
        scale *= 10


def trend_chart(points: Sequence[HistoryPoint], *, start: date, end: date) -> Chart | None:
    """The chart for `start`..`end` (inclusive), or None when there is no snapshot in that range."""
    points = sorted((p for p in points if start <= p.day <= end), key=lambda p: p.day)
    if not points:
        return None
    days = max((end - start).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max(max(p.open, p.overdue) for p in points))

    def x(day: date) -> float:
        return round(LEFT + plot_w * (day - start).days / days, 1)

    def y(count: int) -> float:
        return round(TOP + plot_h - plot_h * count / top, 1)

    def path(values: Sequence[tuple[date, int]]) -> str:
        return " ".join(f"{'M' if n == 0 else 'L'}{x(day)},{y(count)}"
                        for n, (day, count) in enumerate(values))

    step = plot_w / (days + 1)
    bands = tuple(Band(x=round(x(p.day) - step / 2, 1), width=round(step, 1),
                       tip=f"{p.day.isoformat()}: {p.open} open, {p.overdue} overdue") for p in points)
    y_ticks = tuple(Tick(pos=y(value), label=str(value)) for value in (0, top // 2, top))
    middle = start + (end - start) / 2
    x_ticks = tuple(Tick(pos=x(day), label=day.isoformat()) for day in (start, middle, end))
    return Chart(width=WIDTH, height=HEIGHT, open_path=path([(p.day, p.open) for p in points]),
                 overdue_path=path([(p.day, p.overdue) for p in points]), bands=bands, y_ticks=y_ticks,
                 x_ticks=x_ticks, plot_left=LEFT, plot_right=WIDTH - RIGHT, plot_top=TOP,
                 plot_bottom=HEIGHT - BOTTOM, days=days)
