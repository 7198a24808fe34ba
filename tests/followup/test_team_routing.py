"""Team from the document: --team or the webhook's team, else the document's own team if configured, else
the team it had, else default_team (reports and status webhooks then follow the stored team)."""

from __future__ import annotations

import pytest

from config.settings import Settings
from worker.errors import UserError
from worker.sync.pipeline import route_team

SETTINGS = Settings(teams={  # type: ignore[arg-type]
    "checkout": {"jira": {"project": "CHK"}}, "Payments": {"jira": {"project": "PAY"}},  # type: ignore[dict-item]
}, default_team="checkout", _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(("option", "metadata", "stored", "team"), [
    ("checkout", "Payments", None, "checkout"),  # the option (or webhook field) wins
    (None, "Payments", None, "Payments"),  # else the document's "Team:" / front matter
    (None, " payments ", "checkout", "Payments"),  # matched case-insensitively, and over the stored team
    (None, "Growth", "Payments", "Payments"),  # an unknown document team is ignored: as before
    (None, "Growth", None, "checkout"),  # else the default team
    (None, None, None, "checkout"),
])
def test_route_team(option: str | None, metadata: str | None, stored: str | None, team: str) -> None:
    assert route_team(SETTINGS, option=option, metadata=metadata, stored=stored) == team


def test_unknown_team_option_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown team 'growth'"):
        route_team(SETTINGS, option="growth", metadata=None, stored=None)
