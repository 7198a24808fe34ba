"""The one error parsing raises: the input cannot be read as a postmortem."""

from __future__ import annotations

from worker.errors import UserError


class ParseError(UserError):
    """The document is empty, binary, too large, malformed or hostile; the message is one line."""
