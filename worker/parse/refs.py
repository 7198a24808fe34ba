"""Recognise ticket keys and issue URLs, the `ref` an action item can carry."""

from __future__ import annotations

import re

# Bounded quantifiers only: these run on untrusted text.
TICKET_KEY = re.compile(r"(?<![A-Za-z0-9-])([A-Z][A-Z0-9_]{1,14}-[1-9][0-9]{0,7})(?![A-Za-z0-9-])")
ISSUE_URL = re.compile(
    r"https?://[^\s<>\"')\]]{1,300}?(?:/browse/[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8}"
    r"|/issues/[0-9]{1,9}|/pull/[0-9]{1,9}|/-/issues/[0-9]{1,9}|/work_items/[0-9]{1,9}|selectedIssue=[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8})"
)
# GitHub issue refs: `owner/repo#N` anywhere; a bare `#N` only where it plainly names an issue (a cell or
# brackets of its own, or after "issue", "ticket", "GitHub:", "gh", "see"), not "priority #1".
GITHUB_REF = re.compile(
    r"(?<![\w./-])([A-Za-z0-9][A-Za-z0-9_.-]{0,38}/[A-Za-z0-9_.-]{1,100}#[1-9][0-9]{0,8})(?![\w#])"
)
_BARE_GITHUB_REF = re.compile(
    r"(?:^\s*|[(\[]\s*|\b(?:issue|ticket|github|gh|see|tracked in)\s{0,3}:?\s{0,3})(#[1-9][0-9]{0,8})"
    r"(?=\s*[)\]]|\s*$)",
    re.IGNORECASE,
)
# Keys that look like ticket keys but are standards, encodings or times.
_NOT_KEYS = frozenset(
    {"UTF-8", "UTF-16", "UTF-32", "ISO-8601", "SHA-1", "SHA-256", "MD-5", "TLS-1", "COVID-19", "CVE-2"}
)


def is_issue_url(url: str) -> bool:
    """Whether a URL points at a Jira, GitHub or GitLab issue."""
    return ISSUE_URL.fullmatch(url.strip()) is not None or ISSUE_URL.match(url.strip()) is not None


def find_ref(text: str) -> str | None:
    """The first issue URL or ticket key named in the text, or None."""
    url = ISSUE_URL.search(text)
    if url:
        return url.group(0)
    for match in TICKET_KEY.finditer(text):
        key = match.group(1)
        if key not in _NOT_KEYS and not key.startswith(
            ("UTC-", "GMT-", "CVE-", "RFC-", "ISO-", "SHA-", "P0-", "SEV-")
        ):
            return key
    github = GITHUB_REF.search(text) or _BARE_GITHUB_REF.search(text)
    return github.group(1) if github else None
