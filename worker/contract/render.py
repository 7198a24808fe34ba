"""The preview written for where the review happens: Markdown (a GitHub comment or check run) or Jira wiki.

Every string that came from the document is neutralised as in any other text the product writes
(connectors.github_markup, connectors.jira_markup): no mention, issue reference, HTML or macro survives.
A hidden marker names the preview so the next version edits it instead of posting a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.github_markup import BODY_BUDGET, neutralise_markdown
from connectors.gitlab_markup import neutralise_note
from connectors.jira_markup import BODY_MAX, escape_inline, truncate_body
from worker.contract.preview import Preview, PreviewItem

#: Found in the GitHub comment (an HTML comment, not shown).
GITHUB_MARKER = "<!-- followthrough:preview -->"
#: The check run's name (one per head commit, edited in place when the same commit is previewed again).
CHECK_NAME = "Followthrough preview"
#: Found in the Jira comment (an anchor macro renders as nothing).
JIRA_MARKER = "{anchor:followthrough-preview}"
_HEAD = ("#", "Action", "Owner", "Due", "Priority", "Kind", "Target", "Ticket", "Outcome")


def _md(text: str, neutralise: Callable[[str], str] = neutralise_markdown) -> str:
    return neutralise(" ".join(text.split())).replace("|", "\\|")


def _fields(item: PreviewItem) -> list[str]:
    owner = item.owner if not item.owner_note else f"{item.owner} ({item.owner_note})"
    return [item.title, owner, item.due.isoformat() if item.due else "none", item.priority or "n/a",
            item.kind or "n/a", item.target, f"adopts {item.adopts}" if item.adopts else "new", item.outcome]


def summary_line(previews: Sequence[Preview]) -> str:
    """One line for a check run title or a comment's head."""
    items = sum(len(p.items) for p in previews)
    problems = sum(len(p.problems) for p in previews)
    state = f"{problems} need attention" if problems else "nothing needs attention"
    return f"{items} action items; {state}. No ticket is created before approval."


def markdown(previews: Sequence[tuple[str, Preview]], *,
             neutralise: Callable[[str], str] = neutralise_markdown) -> str:
    """One Markdown document for every postmortem of a review (file name, preview); GitLab's notes pass
    `neutralise_note` (its quick actions and reference sigils too)."""
    out = [GITHUB_MARKER, "### Followthrough: what approval will track", "",
           summary_line([p for _, p in previews]), ""]
    for name, preview in previews:
        out += [f"#### {_md(preview.title, neutralise)} (`{_md(name, neutralise).replace('`', '')}`)", "",
                "| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
        out += [f"| {n} | " + " | ".join(_md(f, neutralise) for f in _fields(item)) + " |"
                for n, item in enumerate(preview.items, 1)]
        if not preview.items:
            out.append("| - | no action items found | | | | | | | |")
        notes = [f"- {_md(problem, neutralise)}" for problem in preview.problems]
        out += ["", *(notes or ["- Nothing needs attention."])]
        out.append("")
    text = "\n".join(out)
    return text if len(text) <= BODY_BUDGET else text[:BODY_BUDGET] + "\n\n_(truncated)_\n"


def gitlab_markdown(previews: Sequence[tuple[str, Preview]]) -> str:
    """The Markdown preview for a GitLab merge-request note."""
    return markdown(previews, neutralise=neutralise_note)


def _wiki(text: str) -> str:
    return escape_inline(text) or " "


def jira_wiki(previews: Sequence[tuple[str, Preview]]) -> str:
    """The same preview in Jira wiki markup, for a comment on the review issue."""
    out = [JIRA_MARKER + "h3. Followthrough: what approval will track", "",
           escape_inline(summary_line([p for _, p in previews])), ""]
    for name, preview in previews:
        out += [f"h4. {_wiki(preview.title)} ({_wiki(name)})", "", "||" + "||".join(_HEAD) + "||"]
        out += [f"|{n}|" + "|".join(_wiki(f) for f in _fields(item)) + "|"
                for n, item in enumerate(preview.items, 1)]
        notes = [f"* {_wiki(problem)}" for problem in preview.problems]
        out += ["", *(notes or ["* Nothing needs attention."])]
        out.append("")
    return truncate_body("\n".join(out), limit=BODY_MAX)


#: The first line of a Notion preview comment (comments are plain rich text: no hidden marker exists, so
#: our comment is this line written by our own bot).
PLAIN_MARKER = "Followthrough: what approval will track"
#: Notion takes up to 100 rich-text pieces of 2,000 characters in a comment.
PLAIN_BUDGET = 100 * 2_000


def plain(previews: Sequence[tuple[str, Preview]]) -> str:
    """The preview as plain text lines, for a Notion page comment (plain rich text is inert: no
    mention or link is made from the document's words)."""
    out = [PLAIN_MARKER, summary_line([p for _, p in previews]), ""]
    for _, preview in previews:
        out.append(" ".join(preview.title.split()))
        for n, item in enumerate(preview.items, 1):
            title, owner, due, priority, kind, target, ticket, outcome = (" ".join(f.split())
                                                                          for f in _fields(item))
            out.append(f"{n}. {title}: owner {owner}; due {due}; priority {priority}; kind {kind}; "
                       f"{target}; {ticket}; {outcome}")
        if not preview.items:
            out.append("No action items found.")
        notes = [f"! {' '.join(problem.split())}" for problem in preview.problems]
        out += notes or ["Nothing needs attention."]
        out.append("")
    text = "\n".join(out).rstrip() + "\n"
    return text if len(text) <= PLAIN_BUDGET else text[:PLAIN_BUDGET - 20] + "\n(truncated)\n"
