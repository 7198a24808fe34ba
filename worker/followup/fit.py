"""Fit a report into a channel's size limits by shortening it, never by dropping it.

The digest (`report.trim`) is shortened step by step until the rendered payload fits: fewer lines per
owner down to one, then fewer owners (a binary search), down to the summary, the counts and the link to
the full report, which always fits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from worker.followup.report import TeamReport, trim

P = TypeVar("P")


def fit(report: TeamReport, render: Callable[[TeamReport], P], fits: Callable[[P], bool], *,
        per_owner: int) -> P:
    """The largest digest of `report` whose rendering `fits`, rendered."""
    for lines in range(per_owner, 0, -1):
        payload = render(trim(report, per_owner=lines))
        if fits(payload):
            return payload
    # One line per owner is still too much: keep the worst owners, as many as fit.
    low, high = 0, len(report.owners)
    best = render(trim(report, per_owner=1, max_owners=0))
    while low < high:
        middle = (low + high + 1) // 2
        payload = render(trim(report, per_owner=1, max_owners=middle))
        if fits(payload):
            low, best = middle, payload
        else:
            high = middle - 1
    return best
