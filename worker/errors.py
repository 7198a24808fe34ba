"""Errors the user can act on: the CLI prints them as one line and exits with status 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or configuration; the message is one line, safe to show, and names what to fix."""
