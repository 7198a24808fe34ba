"""reStructuredText front end: docutils (the reference parser) renders HTML, which the HTML front end reads.

Sphinx `list-table` and grid/simple tables become tables, field lists and docinfo ("Owner: …") become
"key: value" lines, admonitions (note, tip, …) stay callouts. File inclusion and raw HTML are disabled:
the text is untrusted.
"""

from __future__ import annotations

from worker.parse.blocks import Block
from worker.parse.errors import ParseError
from worker.parse.html import parse_html

_SETTINGS = {
    "file_insertion_enabled": False,  # ".. include::" would read the server's files
    "raw_enabled": False,
    "report_level": 5,  # no system messages in the output
    "halt_level": 5,
    "output_encoding": "unicode",
    "_disable_config": True,
    "embed_stylesheet": False,
    "stylesheet_path": "",
    "doctitle_xform": True,
    "syntax_highlight": "none",
}


# docutils reads about 400 KB a second and cannot be interrupted by the budget: larger input is refused
# rather than left to run past it (a postmortem in reStructuredText is rarely over 100 KB).
MAX_RST_CHARS = 512 * 1024


def parse_rst(text: str) -> list[Block]:
    """Parse reStructuredText into blocks."""
    if len(text) > MAX_RST_CHARS:
        raise ParseError(
            f"the reStructuredText document is {len(text)} characters, over the {MAX_RST_CHARS}-character"
            " limit for this format"
        )
    from docutils.core import publish_string  # type: ignore[import-untyped]  # slow to load; on use
    from docutils.utils import SystemMessage  # type: ignore[import-untyped]

    try:
        html = publish_string(text, writer="html5", settings_overrides=_SETTINGS)
    except (SystemMessage, ValueError, IndexError, AttributeError) as exc:
        raise ParseError(f"malformed reStructuredText: {str(exc).splitlines()[0][:200]}") from None
    return parse_html(str(html))
