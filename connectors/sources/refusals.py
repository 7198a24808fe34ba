"""Refusals of document sources: a page or file outside what is configured, or not approved.

They are user errors (never retried): the trigger named something the configuration does not allow.
"""

from __future__ import annotations

from worker.errors import UserError


class OutsideSource(UserError):
    """The document is not in a configured space or folder."""


class NotApproved(UserError):
    """The document is in a configured place but does not carry the approval the configuration names."""
