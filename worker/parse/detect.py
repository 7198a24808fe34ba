"""Which front-end reads a document: decided from its content, with the file extension only a hint."""

from __future__ import annotations

import enum
import re

from worker.parse.patterns import lazy


class Format(enum.StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    STORAGE = "confluence-storage"
    JIRA = "jira-wiki"
    PLAIN = "plain"
    RST = "restructuredtext"
    ASCIIDOC = "asciidoc"
    ORG = "org"


_EXTENSION_HINTS = {
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xhtml": Format.STORAGE,
    ".xml": Format.STORAGE,
    ".wiki": Format.JIRA,
    ".jira": Format.JIRA,
    ".txt": Format.PLAIN,
    ".rst": Format.RST,
    ".rest": Format.RST,
    ".adoc": Format.ASCIIDOC,
    ".asciidoc": Format.ASCIIDOC,
    ".asc": Format.ASCIIDOC,
    ".org": Format.ORG,
}
_INLINE_SAMPLE = 50_000
# Docs-as-code formats, each from lines only it writes.
_RST = lazy(
    r"^\.\.\s(?:list-table|csv-table|note|warning|admonition|todo|code-block|contents|_[\w-]{1,60}):"
    r"|^(?:={3,}|-{3,}|~{3,}|\^{3,})[ \t]*$(?=\n\n|\n[^|\n])|^:[\w ]{1,40}:[ \t]\S",
    re.M,
)
_ASCIIDOC = lazy(
    r"^(?:=\s\S|==+\s\S|\|===[ \t]*$|:[\w-]{1,60}:(?:[ \t]|$)|\[(?:NOTE|TIP|cols=)[^\]\n]{0,80}\])", re.M
)
_ORG = lazy(
    r"^(?:#\+(?:TITLE|AUTHOR|DATE|OPTIONS|STARTUP):|\*{1,8}\s(?:TODO|DONE|NEXT|CANCELL?ED)\s|:PROPERTIES:)",
    re.M | re.I,
)

# All patterns are anchored per line and free of nested quantifiers, so they run in linear time.
_STORAGE = lazy(r"<(?:ac|ri):[a-z-]+[\s/>]")
_HTML_DOC = lazy(
    r"\A\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.{0,2000}?-->\s*)?<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_HTML_TAG = lazy(
    r"<(?:p|div|h[1-6]|table|tr|td|th|ul|ol|li|body|span|br|article|section)(?:\s[^<>]{0,500})?/?>", re.I
)
_JIRA_LINE = lazy(
    r"^(?:h[1-6]\.\s|\|\|[^|\n]|\{(?:code|noformat|panel|quote|info|note)[:}]|bq\.\s|#\s|\*\s)", re.M
)
_JIRA_INLINE = lazy(r"\[~[^\]\n]{1,200}\]")
_MD_LINE = lazy(
    r"^(?:#{1,6}\s|\s{0,3}[-*+]\s|\s{0,3}\|?\s*:?-{3,}:?\s*\||```|~~~|>\s|\s{0,3}[-*+]\s\[[ xX]\])", re.M
)
_MD_INLINE = lazy(r"\*\*[^*\n]{1,300}\*\*|\[[^\]\n]{1,300}\]\([^)\n]{1,1000}\)|`[^`\n]{1,300}`")


def detect_format(text: str, *, filename: str | None = None) -> Format:
    """Guess the document format from its content; `filename`'s extension breaks ties."""
    head = text[:200_000]
    hint = None
    if filename:
        lower = filename.lower()
        hint = next((fmt for ext, fmt in _EXTENSION_HINTS.items() if lower.endswith(ext)), None)
    early = _markup_document(head, hint)
    if early is not None:
        return early
    stripped = head.lstrip()
    if stripped.startswith(("<?xml", "<!DOCTYPE", "<!doctype")):
        return Format.STORAGE  # other XML: the XML reader refuses entity declarations and internal DTDs
    html_tags = len(_HTML_TAG.findall(head))
    jira_lines = len(_JIRA_LINE.findall(head)) + len(_JIRA_INLINE.findall(head))
    # Inline markup is counted on the first 50 KB: at each "[" the link pattern looks 300 characters ahead,
    # which over 200 KB of "[" takes a second that no budget check can interrupt.
    md_lines = len(_MD_LINE.findall(head)) + len(_MD_INLINE.findall(head[:_INLINE_SAMPLE]))
    jira_structure = len(re.findall(r"^(?:h[1-6]\.\s|\|\|)", head, re.M))
    # A "[~user]" mention alone does not make Markdown into Jira wiki: people paste them everywhere.
    jira_specific = jira_structure + (len(_JIRA_INLINE.findall(head)) if md_lines < 2 else 0)
    if stripped.startswith("<") and html_tags >= 2 and html_tags * 2 >= md_lines:
        return Format.HTML
    if jira_specific and jira_lines >= md_lines / 2:
        return Format.JIRA
    if md_lines >= 2 or (md_lines and hint is Format.MARKDOWN):
        return Format.MARKDOWN
    if hint is Format.HTML and html_tags:
        return Format.HTML
    if hint in (Format.MARKDOWN, Format.JIRA) and md_lines + jira_lines:
        return hint
    return Format.PLAIN


def _markup_document(head: str, hint: Format | None) -> Format | None:
    """Formats with unmistakable markers: Confluence storage, an HTML page, the docs-as-code formats."""
    if _STORAGE.search(head):
        return Format.STORAGE
    if _HTML_DOC.match(head):
        return Format.HTML
    return _docs_as_code(head, hint)


def _docs_as_code(head: str, hint: Format | None) -> Format | None:
    """reStructuredText, AsciiDoc or Org mode: by extension, else by two lines only that format writes."""
    if hint in (Format.RST, Format.ASCIIDOC, Format.ORG):
        return hint
    if hint is not None or head.lstrip().startswith("<"):
        return None
    sample = head[:20_000]
    counts = {fmt: len(pattern.findall(sample)) for fmt, pattern in _DOCS_AS_CODE}
    best = max(counts, key=lambda fmt: counts[fmt])
    return best if counts[best] >= 2 else None


# ":name: value" lines are both rst field lists and AsciiDoc attributes: the format with most signals wins.
_DOCS_AS_CODE = ((Format.ORG, _ORG), (Format.RST, _RST), (Format.ASCIIDOC, _ASCIIDOC))
