"""Documents and settings for the contract tests: a postmortem whose formatting must survive write-back."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, Person, Team
from tests.sync.support import settings_for

PATH = "postmortems/2025-03-01-db.md"

#: A Markdown postmortem with things a round trip through a renderer would lose: an HTML comment, odd
#: table padding, trailing spaces, a code block, emphasis styles, a table with no Ticket column.
DOCUMENT = (
    "# Database outage on 2025-03-01\n"
    "\n"
    "<!-- reviewers: keep this comment -->\n"
    "**Postmortem owner:** Ana Lima\n"
    "\n"
    "## Summary\n"
    "The primary database ran out of disk.   \n"
    "\n"
    "```\n"
    "| not | a | table |\n"
    "```\n"
    "\n"
    "## Action items\n"
    "\n"
    "- [ ] Add a disk usage alert on the primary @ana (due 2025-04-01, P1)\n"
    "* [ ] Rotate the WAL archive __weekly__ (owner: Bob Stone, due 2025-04-15)\n"
    "- [ ] Migrate the replicas to the new volume type — won't do, superseded by the move\n"
    "\n"
    "| Action   | Owner | Due        | Ticket |\n"
    "|:---------|-------|-----------:|--------|\n"
    "| Document the *failover* runbook | Ana Lima | 2025-05-01 |  |\n"
    "| Page the on-call on replica lag | Zed Unknown |  |  |\n"
    "\n"
    "## Lessons learned\n"
    "- Disks fill up.\n"
)

GITHUB_PEOPLE = (Person(name="Ana Lima", github_login="ana"), Person(name="Bob Stone", github_login="bob"))


def github_settings(db: str, api_url: str, *, preview: bool = True, write_back: bool = True,
                    team_contract: dict[str, Any] | None = None, **contract: Any) -> Settings:
    team_options = {"preview": preview, "write_back": write_back, **(team_contract or {})}
    return settings_for(
        db,
        github_token=SecretStr("test-token"),
        github_api_url=api_url,
        teams={"web": Team(tracker="github", github=GitHubDestination(repo="acme/ops"),
                           contract=team_options)},  # type: ignore[arg-type]
        default_team="web",
        people=GITHUB_PEOPLE,
        sources={"github": {"repo": "acme/ops", "path": "postmortems/", "branch": "main",
                            "contract": {"preview": preview, "write_back": write_back, **contract}}},
    )
