"""Errors the user can act on: the CLI prints them as one line and exits with a documented status."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or configuration; the message is one line, safe to show, and names what to fix (exit 2)."""


class Unavailable(Exception):
    """A service the command needs cannot be reached or used (broker down, port taken); exit 3."""

    exit_code = 3


class Locked(Exception):
    """Another worker holds the sync lock of this postmortem; try again later."""
