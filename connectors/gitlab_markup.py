"""GitLab-flavoured Markdown for tickets: copied text made inert, the body rendered.

GitLab scans descriptions and notes for more than GitHub does: `@user` and `@group` mentions, `#12`
issues, `!12` merge requests, `~label`, `%milestone`, `&epic` and `$snippet` references, and, on a line of
its own, quick actions (`/close`, `/assign @x`, `/label ~y`), which GitLab carries out when an issue is
created or a note posted through the API too. So copied text gets GitHub's neutralisation
(connectors.github_markup: mentions, `#` references, raw HTML) plus a zero-width space after the other
reference sigils and in front of any line that starts with `/`. The body's facts and fingerprint
marker are github_markup's, so the same parser reads them back.
"""

from __future__ import annotations

import re

from connectors.github_markup import (
    ZWSP,
    BodyParts,
    neutralise_inline,
    neutralise_markdown,
    render_body,
)
from connectors.tracker import TicketBody

#: GitLab's limit on a description or note is 1,000,000 characters; titles take 255.
BODY_BUDGET = 1_000_000 - 512
TITLE_LIMIT = 255

_SIGILS_RE = re.compile(r"(?<![A-Za-z0-9_])([!~%&$])(?=[\"A-Za-z0-9_])")
_QUICK_ACTION_RE = re.compile(r"(?m)^(\s*)/")


def _gitlab_only(text: str) -> str:
    text = _SIGILS_RE.sub(lambda m: m.group(1) + ZWSP, text)
    return _QUICK_ACTION_RE.sub(lambda m: m.group(1) + ZWSP + "/", text)


def neutralise_note(text: str) -> str:
    """Copied text made inert in a GitLab description or note."""
    return _gitlab_only(neutralise_markdown(text))


def gitlab_title(title: str) -> str:
    """A neutralised, single-line title within GitLab's length limit."""
    one_line = " ".join(title.split()) or "(untitled action item)"
    text = _gitlab_only(neutralise_inline(one_line))
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


def gitlab_body(body: TicketBody, parts: BodyParts) -> str:
    """The issue description: GitHub's layout, then GitLab's own sigils and quick actions neutralised.

    The facts block and marker are ours and contain no sigil or leading slash, so the second pass leaves
    them as they are.
    """
    return _gitlab_only(render_body(body, parts, budget=BODY_BUDGET))
