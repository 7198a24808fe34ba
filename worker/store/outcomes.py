"""Per-item sync outcomes, the identities that name one postmortem, and the store's own facts.

Outcomes are the home of every failure: a sync records, per item, whether its ticket was created or
adopted, or failed or waits and why; `show`, `list`, the dashboard and /metrics read them from here.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, select

from worker.store.models import (
    PostmortemRow,
    history_skipped,
    item_outcomes,
    postmortem_identities,
    store_facts,
    update_attempts,
)
from worker.store.store import Store

CREATED, ADOPTED, FAILED, WAITING, OK = "created", "adopted", "failed", "waiting", "ok"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the last sync did with one item."""

    fingerprint: str
    outcome: str  # created | adopted | failed | waiting | ok
    reason: str = ""
    permanent: bool = False  # failed for good: waits for a config change or a resync
    config_digest: str = ""
    ticket_ref: str | None = None
    updated_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def record_outcomes(store: Store, key: str, outcomes: Iterable[Outcome]) -> None:
    """Replace the stored outcome of each given item (others keep theirs)."""
    now = _now()
    # One row per item (the last outcome given wins), written by one multi-row upsert: a statement per
    # item cost a round trip each, and one statement needs no transaction around it.
    rows = {
        o.fingerprint: {
            "postmortem_key": key,
            "fingerprint": o.fingerprint,
            "outcome": o.outcome,
            "reason": o.reason[:2000],
            "permanent": o.permanent,
            "config_digest": o.config_digest,
            "ticket_ref": o.ticket_ref[:300] if o.ticket_ref else None,
            "updated_at": now,
        }
        for o in outcomes
    }
    if not rows:
        return
    stmt = store.insert(item_outcomes).values(list(rows.values()))  # one INSERT .. VALUES (..), (..)
    replaced = ("outcome", "reason", "permanent", "config_digest", "ticket_ref", "updated_at")
    with store.one_statement() as s:
        s.execute(stmt.on_conflict_do_update(index_elements=["postmortem_key", "fingerprint"],
                                             set_={name: stmt.excluded[name] for name in replaced}))


def outcomes(store: Store, key: str) -> dict[str, Outcome]:
    """The stored outcome of every item of one postmortem, by fingerprint."""
    with store.reading() as s:
        rows = s.execute(select(item_outcomes).where(item_outcomes.c.postmortem_key == key)).mappings()
        return {row["fingerprint"]: _outcome(row) for row in rows}


def _with_postmortem() -> Any:
    return item_outcomes.join(PostmortemRow, PostmortemRow.key == item_outcomes.c.postmortem_key)


def _outcome(row: RowMapping) -> Outcome:
    get = row.__getitem__
    return Outcome(
        fingerprint=get("fingerprint"),
        outcome=get("outcome"),
        reason=get("reason"),
        permanent=bool(get("permanent")),
        config_digest=get("config_digest"),
        ticket_ref=get("ticket_ref"),
        updated_at=get("updated_at"),
    )


def failed_counts(conn: Connection) -> dict[str, int]:
    """Failed items per postmortem key (postmortems with none are left out)."""
    rows = conn.execute(
        select(item_outcomes.c.postmortem_key, func.count())
        .where(item_outcomes.c.outcome == FAILED)
        .group_by(item_outcomes.c.postmortem_key)
    )
    return {key: int(n) for key, n in rows}


def failed_per_team(conn: Connection) -> dict[str, int]:
    """Failed items per team (for /metrics)."""
    rows = conn.execute(
        select(PostmortemRow.team, func.count())
        .select_from(item_outcomes.join(PostmortemRow, PostmortemRow.key == item_outcomes.c.postmortem_key))
        .where(item_outcomes.c.outcome == FAILED)
        .group_by(PostmortemRow.team)
    )
    return {team: int(n) for team, n in rows}


def failed_items(conn: Connection, teams: Sequence[str]) -> list[dict[str, object]]:
    """Failed items of these teams with their reasons, newest first (the dashboard's attention page)."""
    from worker.store.models import ActionItemRow

    query = (
        select(
            PostmortemRow.key.label("postmortem_key"),
            PostmortemRow.title.label("postmortem_title"),
            PostmortemRow.team.label("team"),
            ActionItemRow.title.label("title"),
            item_outcomes.c.reason,
            item_outcomes.c.permanent,
            item_outcomes.c.updated_at,
        )
        .select_from(
            item_outcomes.join(PostmortemRow, PostmortemRow.key == item_outcomes.c.postmortem_key).join(
                ActionItemRow,
                and_(
                    ActionItemRow.postmortem_key == item_outcomes.c.postmortem_key,
                    ActionItemRow.fingerprint == item_outcomes.c.fingerprint,
                ),
            )
        )
        .where(item_outcomes.c.outcome == FAILED, PostmortemRow.team.in_(list(teams)))
        .order_by(item_outcomes.c.updated_at.desc())
        .limit(200)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def stale_permanent(store: Store, digests: dict[str, str]) -> list[str]:
    """Postmortems with a permanent failure recorded under another config than their team's current one."""
    with store.session() as s:
        rows = s.execute(
            select(item_outcomes.c.postmortem_key, item_outcomes.c.config_digest, PostmortemRow.team)
            .select_from(
                item_outcomes.join(PostmortemRow, PostmortemRow.key == item_outcomes.c.postmortem_key)
            )
            .where(item_outcomes.c.outcome == FAILED, item_outcomes.c.permanent.is_(True))
        ).all()
    return sorted({key for key, digest, team in rows if digests.get(team, "") != digest})


def has_failures(store: Store, key: str) -> bool:
    """Whether any item of this postmortem failed in its last sync."""
    with store.session() as s:
        return bool(
            s.execute(
                select(func.count()).where(
                    item_outcomes.c.postmortem_key == key, item_outcomes.c.outcome == FAILED
                )
            ).scalar_one()
        )


# --- identities -----------------------------------------------------------------------------------


def identity_keys(store: Store, identities: Collection[str]) -> dict[str, tuple[str, bool]]:
    """The postmortem key each of these identities was bound to, and whether a caller gave it explicitly
    (identities never bound are left out); one query for all."""
    if not identities:
        return {}
    with store.reading() as s:
        rows = s.execute(
            select(postmortem_identities.c.identity, postmortem_identities.c.postmortem_key,
                   postmortem_identities.c.explicit)
            .where(postmortem_identities.c.identity.in_(list(identities)))
        ).all()
    return {row[0]: (row[1], bool(row[2])) for row in rows}


def has_explicit_identity(store: Store, key: str) -> bool:
    """Whether a caller named this postmortem with its own id (a hook's id, `sync --id`, a source)."""
    with store.session() as s:
        return bool(
            s.execute(
                select(func.count()).where(
                    postmortem_identities.c.postmortem_key == key, postmortem_identities.c.explicit.is_(True)
                )
            ).scalar_one()
        )


def bind_identities(store: Store, key: str, identities: Sequence[tuple[str, bool]]) -> None:
    """Remember that each `(identity, explicit)` names postmortem `key` (the first binding of an identity
    wins), in one statement."""
    rows: dict[str, dict[str, Any]] = {}
    for identity, explicit in identities:
        rows.setdefault(identity, {"identity": identity, "postmortem_key": key, "explicit": explicit,
                                   "created_at": _now()})
    if not rows:
        return
    stmt = store.insert(postmortem_identities).values(list(rows.values()))  # one INSERT .. VALUES (..), (..)
    with store.one_statement() as s:
        s.execute(stmt.on_conflict_do_nothing(index_elements=["identity"]))


# --- facts ----------------------------------------------------------------------------------------


def get_fact(store: Store, name: str) -> str | None:
    with store.session() as s:
        value = s.execute(select(store_facts.c.value).where(store_facts.c.name == name)).scalar_one_or_none()
    return str(value) if value is not None else None


def set_fact(store: Store, name: str, value: str, *, replace: bool = True) -> str:
    """Store a fact; with `replace=False` an existing value stays. Returns the value now held."""
    stmt = store.insert(store_facts).values(name=name, value=value, updated_at=_now())
    with store.session() as s:
        if replace:
            s.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name"], set_={"value": value, "updated_at": _now()}
                )
            )
        else:
            s.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
    held = get_fact(store, name)
    assert held is not None
    return held


def clear_outcomes(store: Store, key: str) -> None:
    """Forget the outcomes of one postmortem (before a resync starts afresh)."""
    with store.session() as s:
        s.execute(delete(item_outcomes).where(item_outcomes.c.postmortem_key == key))


# --- update attempts ------------------------------------------------------------------------------


def record_attempt(
    store: Store, key: str, fingerprint: str, ticket_key: str, fields: dict[str, str | None]
) -> None:
    """Remember an update about to be sent (replaces an earlier one of the same item)."""
    values = {"ticket_key": ticket_key, "fields": json.dumps(fields, sort_keys=True), "attempted_at": _now()}
    stmt = store.insert(update_attempts).values(postmortem_key=key, fingerprint=fingerprint, **values)
    with store.session() as s:
        s.execute(stmt.on_conflict_do_update(index_elements=["postmortem_key", "fingerprint"], set_=values))


def attempts(store: Store, key: str) -> dict[str, tuple[str, dict[str, str | None]]]:
    """Unsettled updates of one postmortem: fingerprint -> (ticket key, the sent field values)."""
    with store.reading() as s:
        rows = s.execute(select(update_attempts).where(update_attempts.c.postmortem_key == key)).mappings()
        return {row["fingerprint"]: (row["ticket_key"], json.loads(row["fields"])) for row in rows}


def clear_attempt(store: Store, key: str, fingerprint: str) -> None:
    with store.session() as s:
        s.execute(
            delete(update_attempts).where(
                update_attempts.c.postmortem_key == key, update_attempts.c.fingerprint == fingerprint
            )
        )


# --- history before the cutoff --------------------------------------------------------------------


def skip_history(store: Store, source: str, approved_at: datetime | None) -> None:
    """Remember a document approved before the sweep's cutoff, so the sweep does not look at it again."""
    stmt = store.insert(history_skipped).values(source=source, approved_at=approved_at, skipped_at=_now())
    with store.session() as s:
        s.execute(stmt.on_conflict_do_nothing(index_elements=["source"]))


def skipped_history(store: Store) -> dict[str, datetime | None]:
    """Documents left to `backfill`: source -> when approved."""
    with store.session() as s:
        rows = s.execute(select(history_skipped.c.source, history_skipped.c.approved_at))
        return {row[0]: row[1] for row in rows}


def forget_history(store: Store, source: str) -> None:
    with store.session() as s:
        s.execute(delete(history_skipped).where(history_skipped.c.source == source))


def cutoff(store: Store, configured: datetime | None) -> datetime:
    """The sweep's cutoff: the configured one, else the first start recorded in the store (set now if new)."""
    if configured is not None:
        return configured if configured.tzinfo else configured.replace(tzinfo=UTC)
    return datetime.fromisoformat(set_fact(store, "since", _now().isoformat(), replace=False))
