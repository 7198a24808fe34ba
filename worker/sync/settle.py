"""When may a create whose answer was lost be repeated? A pure rule, so it is tested with tables.

A tracker may commit a create and lose the answer (timeout, reset, 5xx after the commit). The only way
to find such a ticket is its label, through a search the tracker keeps eventually consistent (Jira's
`search/jql`; GitHub's issue list is read from replicas). One early empty search proves nothing, so:

- the item is *unconfirmed* from the attempt (`attempted_at`) until a search finds its ticket;
- a search counts as a check only when made at least `window` after the attempt or the previous
  check: check k is made no earlier than `attempted_at + k * window`;
- the create is repeated only after `searches` checks in a row found nothing, so no earlier than
  `attempted_at + searches * window`.

The guarantee: a lost create is never repeated while the index lags the write by less than
`searches * window` (and by less than `window` at some later check). A search that finds the ticket at any
time ends the wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.errors import RateLimited


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """`window` seconds between the attempt and each confirming search; `searches` checks must miss."""

    window: float
    searches: int

    def __post_init__(self) -> None:
        if self.window <= 0 or self.searches < 1:
            raise ValueError("a settle policy needs a positive window and at least one search")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a search that did not find the ticket means for an unconfirmed create."""

    checks: int  # absent checks counted so far, this search included when it counted
    create: bool  # enough settled searches missed it: creating again cannot duplicate within the bound
    wait: float  # seconds until the next search can count (0 when `create`)


def next_check_at(attempted_at: datetime, checks: int, policy: SettlePolicy) -> datetime:
    """The earliest time at which the next absent search counts."""
    return attempted_at + timedelta(seconds=policy.window * (checks + 1))


def absent(attempted_at: datetime, checks: int, searched_at: datetime, policy: SettlePolicy) -> Verdict:
    """Judge a search started at `searched_at` that did not find the ticket of an unconfirmed create."""
    if searched_at >= next_check_at(attempted_at, checks, policy):
        checks += 1
    if checks >= policy.searches:
        return Verdict(checks=checks, create=True, wait=0.0)
    wait = (next_check_at(attempted_at, checks, policy) - searched_at).total_seconds()
    return Verdict(checks=checks, create=False, wait=max(wait, 0.0))


class Settling(RateLimited):
    """Not an error of the tracker: unconfirmed creates wait `retry_after` seconds for its index to settle.

    A `RateLimited` so that every retry path (the worker's countdown, `sync` exit 1) waits at least that long.
    """
