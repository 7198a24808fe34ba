"""A small open-versus-overdue chart over the last weeks, as an HTML bar table (no images, no scripts).

Email clients drop SVG and external images unevenly; table cells with fixed widths render everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.store.records import HistoryPoint

BAR_WIDTH = 240  # pixels for the largest count


def weekly_points(history: Sequence[HistoryPoint], *, weeks: int = 8) -> list[HistoryPoint]:
    """The last snapshot of each ISO week, for the most recent `weeks` weeks that have one."""
    last_of_week: dict[tuple[int, int], HistoryPoint] = {}
    for point in sorted(history, key=lambda point: point.day):
        last_of_week[point.day.isocalendar()[:2]] = point
    return list(last_of_week.values())[-weeks:]


def _bar(count: int, scale: float, color: str) -> str:
    width = max(1, round(count * scale)) if count else 0
    cell = (f'<td style="background:{color};width:{width}px;height:10px;padding:0"></td>' if width else "")
    return (f'<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse">'
            f'<tr>{cell}<td style="padding:0 0 0 6px;font-size:12px">{count}</td></tr></table>')


def history_bars(history: Sequence[HistoryPoint], *, weeks: int = 8) -> str:
    """HTML for the chart, or an empty string when there is no history yet."""
    points = weekly_points(history, weeks=weeks)
    if not points:
        return ""
    top = max(max(point.open, point.overdue) for point in points) or 1
    scale = BAR_WIDTH / top
    rows = "".join(
        f'<tr><td style="padding:2px 8px 2px 0;font-size:12px;white-space:nowrap">week of '
        f'{point.day.isoformat()}</td><td style="padding:2px 0">{_bar(point.open, scale, "#8c9bab")}'
        f'{_bar(point.overdue, scale, "#d9534f")}</td></tr>'
        for point in points
    )
    legend = ('<p style="font-size:12px;margin:4px 0"><span style="color:#8c9bab">■</span> open '
              '<span style="color:#d9534f">■</span> overdue</p>')
    return (f'<h3 style="margin:16px 0 4px">Open and overdue, last {len(points)} weeks</h3>{legend}'
            f'<table role="presentation" class="chart" cellpadding="0" cellspacing="0">{rows}</table>')
