"""Every failure has a home: each sync's per-item outcomes go to the store and failures to a WARNING line.

An item is created, adopted, failed (and why) or waiting (and why). A transient failure waits for the
worker's retry; a permanent one waits for a config change (the team's config digest is stored with it, so
the sweep tries again once it changes) or for `followthrough resync`, and its reason says which.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence

from config.settings import Settings
from config.teams import Team
from worker.store import Store
from worker.store import outcomes as stored
from worker.store.outcomes import ADOPTED, CREATED, FAILED, OK, WAITING, Outcome
from worker.sync.results import ItemResult

log = logging.getLogger("worker.sync")

PERMANENT_HINT = "waits for a config change or `followthrough resync {key}`"


def config_digest(settings: Settings, team: Team) -> str:
    """A digest of what a permanent failure may depend on: the team's config and the owner directory."""
    basis = f"{team!r}|{settings.people!r}|{settings.jira_url}|{settings.github_api_url}"
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def outcome_of(row: ItemResult, previous: Outcome | None, *, key: str, digest: str,
               ref: str | None) -> Outcome | None:
    """The outcome to store for one result row (None: a plan row, nothing to store)."""
    if row.result.startswith("planned"):
        return None
    if row.result in ("failed", "missing"):
        reason = row.reason if "resync" in row.reason else f"{row.reason}; {PERMANENT_HINT.format(key=key)}"
        return Outcome(row.fingerprint, FAILED, reason, permanent=True, config_digest=digest, ticket_ref=ref)
    if row.result == "pending":
        return Outcome(row.fingerprint, WAITING, row.reason, ticket_ref=ref)
    if row.result in (CREATED, ADOPTED):
        return Outcome(row.fingerprint, row.result, row.reason, ticket_ref=ref)
    if previous is not None and previous.outcome in (CREATED, ADOPTED):
        return Outcome(row.fingerprint, previous.outcome, previous.reason, ticket_ref=previous.ticket_ref)
    return Outcome(row.fingerprint, OK, row.reason)


def record(store: Store, key: str, rows: Sequence[ItemResult], *, digest: str,
           refs: Mapping[str, str]) -> None:
    """Store each row's outcome and log every failed or waiting item at WARNING, with its reason."""
    previous = stored.outcomes(store, key)
    kept: list[Outcome] = []
    for row in rows:
        outcome = outcome_of(row, previous.get(row.fingerprint), key=key, digest=digest,
                             ref=refs.get(row.fingerprint))
        if outcome is None:
            continue
        kept.append(outcome)
        if outcome.outcome in (FAILED, WAITING):
            log.warning("postmortem %s: item %s %s: %s", key, row.fingerprint, outcome.outcome,
                        outcome.reason)
    stored.record_outcomes(store, key, kept)


def adopted(store: Store, key: str) -> frozenset[str]:
    """Fingerprints of the items whose ticket was adopted from the document's ref."""
    return frozenset(fp for fp, o in stored.outcomes(store, key).items() if o.outcome == ADOPTED)
