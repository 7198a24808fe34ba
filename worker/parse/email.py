"""Plain-text e-mail: the header block is not the document (its Subject is the title), nor is the signature.

Recognised in five languages (From/De/Von, Subject/Asunto/Assunto/Betreff/Objet...). Only a header block
at the very top counts, and it needs a sender line and a subject line, so ordinary "Date: ..." metadata
lines at the top of a postmortem are left alone.
"""

from __future__ import annotations

import re

_HEADER = re.compile(
    r"^(from|to|cc|bcc|date|sent|subject|reply-to|de|para|asunto|assunto|enviado|enviada|fecha|data|von|an"
    r"|betreff|datum|gesendet|objet|à|a|envoyé|envoye|cc|cco)[ \t]?:[ \t]?(.{0,500})$",
    re.I,
)
_SENDER = frozenset({"from", "de", "von"})
_SUBJECT = frozenset({"subject", "asunto", "assunto", "betreff", "objet"})
_REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|wg|tr|rv|res|enc)[ \t]?:[ \t]?){1,5}", re.I)
_CLOSINGS = frozenset(
    {
        "thanks",
        "thank you",
        "many thanks",
        "best",
        "best regards",
        "kind regards",
        "regards",
        "cheers",
        "saludos",
        "un saludo",
        "atentamente",
        "gracias",
        "muchas gracias",
        "abracos",
        "abraços",
        "obrigado",
        "obrigada",
        "atenciosamente",
        "viele grüße",
        "viele grusse",
        "beste grüße",
        "mit freundlichen grüßen",
        "danke",
        "gruß",
        "grüße",
        "cordialement",
        "bien cordialement",
        "merci",
        "bien à vous",
        "amitiés",
    }
)
_MAX_HEADER_LINES = 20


def strip_email(text: str) -> tuple[str | None, str]:
    """(the subject, the body without headers and signature); (None, text) when it is not an e-mail."""
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    keys: set[str] = set()
    subject = None
    start = index
    while index < len(lines) and index - start < _MAX_HEADER_LINES:
        match = _HEADER.match(lines[index].strip())
        if not match:
            break
        key = match.group(1).casefold()
        keys.add(key)
        if key in _SUBJECT:
            subject = _REPLY_PREFIX.sub("", match.group(2).strip()) or None
        index += 1
    if not (keys & _SENDER) or not (keys & _SUBJECT):
        return None, text
    body = lines[index:]
    return subject, "\n".join(_without_signature(body))


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped in ("--", "-- ", "__", "—") or line == "-- ":
            return lines[:index]
        if stripped.endswith(",") and stripped[:-1].strip().casefold() in _CLOSINGS:
            return lines[:index]
    return lines
