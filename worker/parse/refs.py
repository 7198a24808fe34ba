"""Recognise ticket keys and issue URLs, the `ref` an action item can carry."""

from __future__ import annotations

import re

from worker.parse.patterns import lazy

# Bounded quantifiers only: these run on untrusted text.
TICKET_KEY = lazy(r"(?<![A-Za-z0-9-])([A-Z][A-Z0-9_]{1,14}-[1-9][0-9]{0,7})(?![A-Za-z0-9-])")
ISSUE_URL = lazy(
    r"https?://[^\s<>\"')\]]{1,300}?(?:/browse/[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8}"
    r"|/issues/[0-9]{1,9}|/pull/[0-9]{1,9}|/-/issues/[0-9]{1,9}|/work_items/[0-9]{1,9}|selectedIssue=[A-Z][A-Z0-9_]{1,14}-[0-9]{1,8})"
)
# GitHub issue refs: `owner/repo#N` anywhere; a bare `#N` only where it plainly names an issue (a cell or
# brackets of its own, or after "issue", "ticket", "GitHub:", "gh", "see"), not "priority #1".
GITHUB_REF = lazy(
    r"(?<![\w./-])([A-Za-z0-9][A-Za-z0-9_.-]{0,38}/[A-Za-z0-9_.-]{1,100}#[1-9][0-9]{0,8})(?![\w#])"
)
_BARE_GITHUB_REF = lazy(
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


# "<https://jira.example.com/browse/OPS-12|OPS-12>": a chat client's link with its label.
_CHAT_LINK = lazy(r"<(https?://[^\s<>|]{1,300})\|([^<>|]{1,80})>")
# "#5141" or "group/project#77" at the end of an item: a GitLab or GitHub issue.
_HASH_REF = lazy(
    r"(?:^|[\s(\[])((?:[A-Za-z0-9_.-]{1,60}/){1,4}[A-Za-z0-9_.-]{1,60}#[0-9]{1,7}|#[0-9]{1,7})[)\].,;]?$"
)
_PROJECT_REF = lazy(r"(?<![\w/])((?:[A-Za-z0-9_.-]{1,60}/){1,4}[A-Za-z0-9_.-]{1,60}#[0-9]{1,7})\b")


def clean_ref(ref: str) -> str:
    """A reference without a chat label glued to it ("…/OPS-12|OPS-12" or "%7COPS-12" -> the key)."""
    for glue in ("|", "%7C", "%7c"):
        if glue in ref:
            url, _, label = ref.partition(glue)
            key = TICKET_KEY.fullmatch(label.strip())
            return key.group(1) if key else url
    return ref


def ref_span(text: str) -> str | None:
    """The text of a chat link or a trailing #N reference, to cut from a title."""
    if "#" not in text and "<http" not in text:
        return None
    match = _CHAT_LINK.search(text) or _PROJECT_REF.search(text) or _HASH_REF.search(text.rstrip())
    return match.group(0).strip() if match else None


def find_ref(text: str) -> str | None:
    """The first issue URL or ticket key named in the text, or None."""
    chat = _CHAT_LINK.search(text) if "<http" in text else None
    if chat:
        return clean_ref(f"{chat.group(1)}|{chat.group(2)}")
    project = (_PROJECT_REF.search(text) or _HASH_REF.search(text.rstrip())) if "#" in text else None
    if project:
        return project.group(1)
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
