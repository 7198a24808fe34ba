"""Bytes to text: BOMs, UTF-8, UTF-16, cp1252, and repair of mojibake such as UTF-8 read as Mac Roman.

Text that is not UTF-8 is read as cp1252, not guessed: charset-normalizer reads short cp1252 text such as
"Né à Zürich — 5 €" as cp1250 and returns other letters, while office exports are nearly always cp1252.
"""

from __future__ import annotations

import codecs

from worker.parse.errors import ParseError
from worker.parse.patterns import lazy

#: Encodings a UTF-8 document is commonly mis-decoded as before it reaches us (and re-saved as UTF-8).
_MOJIBAKE_CODECS = ("mac_roman", "cp1252", "latin-1")
#: Characters that rarely appear in real text but are typical of UTF-8 read through a single-byte codec.
_MOJIBAKE_MARKERS = frozenset("ÃÂâ€¢œ™ž√¬∞≠±≤≥µ∂∑∏π∫ªºΩæøπ¿¡Äå∆ÜüÖö¨†°")
_BINARY_CONTROL_RATIO = 0.1
_CONTROL_CHARS = [chr(code) for code in range(0x20) if chr(code) not in "\n\t\f\v"]


def decode_bytes(data: bytes) -> str:
    """Decode a document's bytes to text, rejecting binary input."""
    if not data.strip():
        raise ParseError("the document is empty")
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise ParseError(
                    f"the document starts with a {codec} byte-order mark but is not {codec}"
                ) from None
    if b"\x00" in data:
        raise ParseError("the document looks binary (it contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: the Windows code page is by far the most common legacy encoding of office exports.
    return data.decode("cp1252", errors="replace")


def clean_text(text: str) -> str:
    """Normalise decoded text: newlines, mojibake repair, and rejection of empty or binary content."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ParseError("the document is empty")
    controls = sum(text.count(ch) for ch in _CONTROL_CHARS)
    if "\x00" in text or controls / len(text) > _BINARY_CONTROL_RATIO:
        raise ParseError("the document looks binary (too many control characters)")
    return repair_mojibake(text)


def _marker_count(text: str) -> int:
    return sum(map(text.count, _MOJIBAKE_MARKERS))  # one C-level count per marker, not a loop per char


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded with a single-byte codec, then let ftfy fix what remains."""
    if text.isascii():
        return text
    before = _marker_count(text)
    if before:
        # Whole-text round trip first: ftfy works on short sequences and misses some (Mac Roman emoji).
        for codec in _MOJIBAKE_CODECS:
            try:
                candidate = text.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if _marker_count(candidate) < before:
                text = candidate
                break
    return _fix_text(text)


# Characters one of ftfy's fixes can act on in an otherwise ASCII line: "&" (HTML entities), "\r" and the
# control characters it removes (all but tab, newline and form feed). A pure-ASCII line without them is
# returned unchanged by every fix (mojibake needs non-ASCII, NFC is the identity on ASCII).
_FTFY_UNSAFE = lazy(r"[^\t\n\x0c\x20-\x25\x27-\x7e]")


def _fix_text(text: str) -> str:
    """`ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True)`, the same
    result, but the runs of lines it could not change are copied instead of fixed line by line (ftfy costs
    about 50 µs a line, a tenth of a second for a 2,000-row table with a few emoji).

    This is ftfy's own loop (segments are lines, cut every `max_decode_length` characters; HTML entities
    are unescaped only until a segment holds "<"), skipping ahead over whole lines that are safe."""
    import ftfy  # imported on use: slow to load, and ASCII documents never need it

    config = ftfy.TextFixerConfig(
        explain=False, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True
    )
    out: list[str] = []
    pos, length = 0, len(text)
    while pos < length:
        unsafe = _FTFY_UNSAFE.search(text, pos)
        if unsafe is None:
            out.append(text[pos:])
            break
        start = text.rfind("\n", pos, unsafe.start()) + 1 or pos  # the line holding it: a segment start
        if config.unescape_html == "auto" and text.find("<", pos, start) >= 0:
            config = config._replace(unescape_html=False)  # ftfy saw "<" in one of the skipped lines
        out.append(text[pos:start])
        pos = start
        end = text.find("\n", pos) + 1 or length
        end = min(end, pos + config.max_decode_length)
        segment = text[pos:end]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        out.append(ftfy.fix_and_explain(segment, config)[0])
        pos = end
    return "".join(out)
