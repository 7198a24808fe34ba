"""A document's text as read, with the token a guarded write must present (a blob sha, a version)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Revision:
    text: str
    token: str
