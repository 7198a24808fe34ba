"""Encodings, mojibake repair, hostile and malformed input, size limits, and never hanging."""

from __future__ import annotations

import contextlib
import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.parse.conftest import FIXTURES, titles
from worker.parse import ParseError, parse_document
from worker.parse.decode import _fix_text

FRENCH = (
    "# Panne de la messagerie\n\n"
    "**Auteur :** Hélène Lefèvre\n\n"
    "## Actions correctives\n\n"
    "| Action | Responsable | Échéance |\n|---|---|---|\n"
    "| Ajouter une alerte sur la file d'attente des e-mails | Élodie Garçon | 15/07/2024 |\n"
)


def mojibake(text: str, codec: str) -> bytes:
    """UTF-8 text mis-decoded with `codec` and saved again as UTF-8, as broken exports do."""
    return text.encode("utf-8").decode(codec).encode("utf-8")


@pytest.mark.parametrize("codec", ["mac_roman", "cp1252"])
def test_mojibake_is_repaired(codec: str) -> None:
    pm = parse_document(mojibake(FRENCH, codec), filename="panne.md")
    assert pm.title == "Panne de la messagerie"
    assert pm.owner == "Hélène Lefèvre"
    assert titles(pm) == ["Ajouter une alerte sur la file d'attente des e-mails"]
    assert pm.action_items[0].owner == "Élodie Garçon"
    assert pm.action_items[0].due == date(2024, 7, 15)


def test_utf16_with_bom_and_cp1252_decode_to_the_same_result() -> None:
    reference = parse_document(FRENCH.encode("utf-8"))
    utf16 = parse_document(FRENCH.encode("utf-16"))  # Python writes the BOM
    cp1252 = parse_document(FRENCH.encode("cp1252"))
    utf8_bom = parse_document(b"\xef\xbb\xbf" + FRENCH.encode("utf-8"))
    assert reference.to_json() == utf16.to_json() == cp1252.to_json() == utf8_bom.to_json()
    assert reference.action_items[0].owner == "Élodie Garçon"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
    ],
)
def test_empty_and_binary_input_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_document(data)


def test_size_limit() -> None:
    with pytest.raises(ParseError, match="over the 100-byte limit"):
        parse_document(b"# Title\n" + b"x" * 200, max_bytes=100)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ac:layout><p>&lol3;</p></ac:layout>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<p><ac:structured-macro ac:name="info">&xxe;</ac:structured-macro></p>"""
XXE_HTML = """<!DOCTYPE html [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]>
<html><body><h2>Action items</h2><ul><li>&xxe;</li></ul></body></html>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, XXE_HTML])
def test_entity_declarations_are_refused(document: str) -> None:
    with pytest.raises(ParseError, match="entities"):
        parse_document(document)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<h2>Action items</h2><ac:task-list><ac:task><ac:task-body>Fix it</ac:task-list>", "malformed"),
        ('<p>x</p><ac:structured-macro ac:name="jira">&bogusentity;</ac:structured-macro>', "malformed"),
        ("<html><body><h2>Action items</h2><ul><li>Fix the thing</li></ul><table><tr><td", "malformed HTML"),
    ],
)
def test_malformed_markup_is_refused(document: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_document(document)


@pytest.mark.parametrize(
    "document",
    [
        "| a " * 20_000 + "\n|---|\n",
        "# Action items\n\n" + "- " + "[" * 50_000 + "\n",
        "h2. Follow-ups\n" + "|" + "[" * 30_000 + "|\n",
        "Action items:\n" + "*_" * 40_000 + "\n",
        "<div>" * 5_000 + "<h2>Action items</h2><ul><li>x y z</li></ul>",
        "> " * 5_000 + "- [ ] deep",
        "Next steps:\n" + ("owner: " * 20_000) + "\n",
        "Next steps:\n- due " + "1/" * 30_000 + "\n",
    ],
)
def test_pathological_input_finishes_quickly(document: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(ParseError):
        parse_document(document)
    assert time.perf_counter() - started < 5


def test_extension_is_only_a_hint() -> None:
    markdown = (FIXTURES / "markdown_gfm.md").read_bytes()
    assert titles(parse_document(markdown, filename="export.txt")) == titles(parse_document(markdown))
    html = (FIXTURES / "confluence_export.html").read_bytes()
    assert titles(parse_document(html, filename="page.md")) == titles(
        parse_document(html, filename="page.html")
    )


def test_caller_identity_is_used_for_fingerprints() -> None:
    data = (FIXTURES / "plain.txt").read_bytes()
    one = parse_document(data, identity="confluence:123")
    two = parse_document(data, identity="confluence:456")
    assert one.identity == "confluence:123"
    assert [i.fingerprint for i in one.action_items] != [i.fingerprint for i in two.action_items]


@pytest.mark.parametrize("filename", [None, "notes.txt", "notes.md"])
def test_entity_bomb_in_generic_xml_is_refused_whatever_the_extension(filename: str | None) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    with pytest.raises(ParseError, match="entities"):
        parse_document(bomb.encode(), filename=filename)


def test_custom_xml_elements_holding_blocks_are_containers() -> None:
    doc = (
        '<?xml version="1.0"?><page><h1>Cache outage</h1>'
        "<h2>Action items</h2><ul><li>Fix DNS</li></ul></page>"
    )
    pm = parse_document(doc.encode())
    assert pm.title == "Cache outage"
    assert titles(pm) == ["Fix DNS"]


_FTFY_PIECES = [
    "plain words",
    "a &amp; b",
    "&lt;tag&gt;",
    "<b>x</b>",
    "cafÃ© au lait",
    "\x1b[31mred",
    "\x07",
    "\x0c",
    "\t",
    "é",
    "ﬁx",
    "ＬＯＵＤ",
    "✅",
    "\r",
    "\x85",
    "e\u0301",
    "&#x2019;",
    "\x7f",
    "\u2028",
    "&",
    "<",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FTFY_PIECES), max_size=5), max_size=12))
def test_skipping_unchangeable_lines_gives_ftfy_own_result(lines: list[list[str]]) -> None:
    # The fast path copies runs of lines ftfy cannot change; the text must come out exactly as ftfy's own.
    import ftfy

    text = "\n".join(" ".join(line) for line in lines)
    expected = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True)
    assert _fix_text(text) == expected
