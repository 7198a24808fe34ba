"""Fit a report into a channel's size limits by shortening it, never by dropping it.

The digest (`report.trim`) is shortened step by step until the rendered payload fits: fewer lines per
owner down to one, then fewer owners, down to the summary, the counts and the link to the full report,
which always fits. The number of owners is found by galloping then bisecting from small digests up, so
the work depends on what fits in the channel, not on the size of the team.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from worker.followup.report import OwnerUrgency, TeamReport, trim, urgency

P = TypeVar("P")
#: Up to this many owners, each step renders every owner at once instead of galloping.
SMALL = 32


def fit(report: TeamReport, render: Callable[[TeamReport], P], fits: Callable[[P], bool], *,
        per_owner: int, prepared: Sequence[OwnerUrgency] | None = None) -> P:
    """The largest digest of `report` whose rendering `fits`, rendered (`prepared`: `urgency(report)`)."""
    if prepared is None:
        prepared = urgency(report)
    total = sum(1 for entry in prepared if entry.urgent)

    def attempt(lines: int, owners: int) -> P | None:
        payload = render(trim(report, per_owner=lines, max_owners=owners, prepared=prepared))
        return payload if fits(payload) else None

    best = render(trim(report, per_owner=1, max_owners=0, prepared=prepared))
    for lines in range(per_owner, 0, -1):
        if total <= SMALL:  # a small team: try everyone at once
            payload = attempt(lines, total)
            if payload is not None:
                return payload
            continue
        # Gallop: 1, 2, 4 ... owners until one does not fit (or all do).
        good, good_payload, probe = 0, best, 1
        while True:
            payload = attempt(lines, min(probe, total))
            if payload is None:
                break
            if probe >= total:
                return payload  # every owner with this many lines fits
            good, good_payload, probe = probe, payload, probe * 2
        if lines > 1:
            continue  # fewer lines per owner come before fewer owners
        # One line per owner: bisect between the last fitting and the first failing owner count.
        low, high = good, min(probe, total) - 1
        while low < high:
            middle = (low + high + 1) // 2
            payload = attempt(lines, middle)
            if payload is None:
                high = middle - 1
            else:
                low, good_payload = middle, payload
        return good_payload
    # A small team whose single lines do not fit: as many owners as fit.
    low, high = 0, total
    while low < high:
        middle = (low + high + 1) // 2
        payload = attempt(1, middle)
        if payload is None:
            high = middle - 1
        else:
            low, best = middle, payload
    return best
