"""One identity for one postmortem, whichever door it comes through (CLI, generic hook, source sweep).

A postmortem is keyed by an identity: the caller's id when it gives one (a hook's `id`, `sync --id`, a
source's stable id), else the content identity the parser derives (title and incident date). Both are
remembered in the store, so the same document arriving through another door finds the same key, and its
items the same fingerprints, and no second set of tickets is made. Two different explicit ids are two
postmortems: a document a caller named is never merged into one another caller named differently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from worker.models import Postmortem, postmortem_key
from worker.parse.fingerprint import fingerprint
from worker.store import Store
from worker.store import outcomes as facts


@dataclass(frozen=True, slots=True)
class Identity:
    identity: str  # the identity the items' fingerprints derive from
    key: str  # the postmortem key
    explicit: str | None  # the caller's id, if any
    content: str  # the parser's content identity




def resolve(store: Store | None, *, explicit: str | None, content: str) -> Identity:
    """The identity and key a document ingested with `explicit` (or none) and `content` identity has."""
    if store is not None:
        found = _known(store, explicit, content)
        if found is not None:
            pm = store.get_postmortem(found)
            if pm is not None:
                return Identity(pm.identity, found, explicit, content)
    chosen = explicit or content
    return Identity(chosen, postmortem_key(chosen), explicit, content)


def _known(store: Store, explicit: str | None, content: str) -> str | None:
    bindings = facts.identity_keys(store, [explicit, content] if explicit else [content])
    if explicit:
        if explicit in bindings:
            return bindings[explicit][0]
        if store.get_postmortem(postmortem_key(explicit)) is not None:
            return postmortem_key(explicit)  # stored before identities were remembered
    bound = bindings.get(content)
    if bound is None:
        legacy = postmortem_key(content)
        pm = store.get_postmortem(legacy)
        bound = (legacy, False) if pm is not None and pm.identity == content else None
    if bound is None:
        return None
    if explicit and facts.has_explicit_identity(store, bound[0]):
        return None  # another caller named that document differently: a different postmortem
    return bound[0]


def with_identity(parsed: Postmortem, identity: str) -> Postmortem:
    """The parsed document with its items fingerprinted under `identity`."""
    if parsed.identity == identity:
        return parsed
    items = tuple(
        replace(item, fingerprint=fingerprint(identity, item.title)) for item in parsed.action_items
    )
    return replace(parsed, identity=identity, action_items=items)


def remember(store: Store, found: Identity) -> None:
    """Bind the caller's id and the content identity to the postmortem's key."""
    explicit = [(found.explicit, True)] if found.explicit else []
    facts.bind_identities(store, found.key, [*explicit, (found.content, False)])
