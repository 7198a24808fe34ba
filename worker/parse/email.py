"""E-mail: the header block is not the document (its Subject is the title), nor is the signature.

A saved message (.eml: Return-Path/Received/MIME-Version headers) is read with the standard library's
`email` package: multipart bodies are opened and quoted-printable or base64 decoded, and the text/html part
is preferred (it holds the formatting that marks sections), else text/plain. A pasted plain-text e-mail
is recognised in five languages (From/De/Von, Subject/Asunto/Assunto/Betreff/Objet...). Only a header block
at the very top counts, and it needs a sender line and a subject line, so ordinary "Date: ..." metadata
lines at the top of a postmortem are left alone.
"""

from __future__ import annotations

import re

from worker.parse.patterns import lazy

_HEADER = lazy(
    r"^(from|to|cc|bcc|date|sent|subject|reply-to|de|para|asunto|assunto|enviado|enviada|fecha|data|von|an"
    r"|betreff|datum|gesendet|objet|à|a|envoyé|envoye|cc|cco)[ \t]?:[ \t]?(.{0,500})$",
    re.I,
)
_SENDER = frozenset({"from", "de", "von"})
_SUBJECT = frozenset({"subject", "asunto", "assunto", "betreff", "objet"})
_REPLY_PREFIX = lazy(r"^(?:(?:re|fwd?|aw|wg|tr|rv|res|enc)[ \t]?:[ \t]?){1,5}", re.I)
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


_RFC822_LINE = lazy(r"^[!-9;-~]{1,76}:")
# Headers only a saved message has, never a pasted one or a postmortem's metadata block.
_TRANSPORT = frozenset(
    {
        "mime-version",
        "received",
        "return-path",
        "content-type",
        "message-id",
        "delivered-to",
        "dkim-signature",
    }
)


def strip_email(text: str) -> tuple[str | None, str]:
    """(the subject, the body without headers and signature); (None, text) when it is not an e-mail."""
    saved = _saved_message(text)
    if saved is not None:
        return saved
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


def _saved_message(text: str) -> tuple[str | None, str] | None:
    """A saved message's subject and best body part, or None when the text does not start like one."""
    head = text.lstrip()[:20_000].split("\n\n", 1)[0].split("\n")
    if not head or not _RFC822_LINE.match(head[0]):
        return None
    names = {line.split(":", 1)[0].strip().casefold() for line in head if _RFC822_LINE.match(line)}
    if not names & _TRANSPORT or not all(_RFC822_LINE.match(line) or line[:1] in " \t" for line in head):
        return None
    import email  # the standard library's e-mail package (about 40 ms to import): only for saved messages
    import email.policy
    from email.message import EmailMessage

    message = email.message_from_string(text.lstrip(), policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        return None
    subject = _REPLY_PREFIX.sub("", str(message.get("subject", "") or "").strip()) or None
    part = message.get_body(preferencelist=("html", "plain"))
    if part is None:
        return subject, ""
    try:
        body = part.get_content()
    except (LookupError, ValueError, UnicodeError):
        payload = part.get_payload(decode=True)
        body = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(body, str):
        return subject, ""
    body = body.replace("\r\n", "\n")
    if part.get_content_subtype() == "plain":
        body = "\n".join(_without_signature(body.split("\n")))
    return subject, body


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped in ("--", "-- ", "__", "—") or line == "-- ":
            return lines[:index]
        if stripped.endswith(",") and stripped[:-1].strip().casefold() in _CLOSINGS:
            return lines[:index]
    return lines
