"""`followthrough check` verifies what previews and write-back need on GitLab and Notion, where on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import run, write_config
from tests.standins.gitlab import GitLabStandIn
from tests.standins.notion import NotionStandIn, postmortem_blocks

ON = {"preview": True, "write_back": True}


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    with GitLabStandIn() as standin:
        standin.commit("main", {"postmortems/a.md": b"# A\n"})
        yield standin


@pytest.fixture
def notion() -> Iterator[NotionStandIn]:
    with NotionStandIn() as standin:
        yield standin


def check(tmp_path: Path, gitlab: GitLabStandIn, notion: NotionStandIn, database: str,
          contract: dict[str, Any]) -> Any:
    config = write_config(
        tmp_path,
        teams={"ops": {"tracker": "github", "github": {"repo": "acme/web"}, "contract": ON}},
        sources={"gitlab": {"project": gitlab.project, "branch": "main", "contract": contract},
                 "notion": {"databases": [database], "contract": contract}},
    )
    env = {"FOLLOWTHROUGH_CONFIG": str(config),
           "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "GITLAB_TOKEN": gitlab.token, "GITLAB_URL": gitlab.url, "NOTION_TOKEN": notion.token,
           "NOTION_API_URL": notion.url,
           "COLUMNS": "400"}  # `check` wraps its lines at the terminal's width: read each finding whole
    return run(tmp_path, "check", env=env)


def contract_lines(proc: Any) -> list[str]:
    return [line for line in proc.stdout.splitlines()
            if line.startswith(("gitlab source", "notion source")) and ("comment" in line or "push" in line)]


def test_write_permissions_are_checked_where_the_contract_is_on(
    tmp_path: Path, gitlab: GitLabStandIn, notion: NotionStandIn
) -> None:
    database = notion.add_database()
    notion.add_page(database, "A", postmortem_blocks("A", 1), status="Approved")
    assert contract_lines(check(tmp_path, gitlab, notion, database, ON)) == []
    assert gitlab.count("GET", r"/repository/branches/main$") >= 1
    assert notion.count("GET", r"/v1/comments") == 1
    gitlab.protected.add("main")
    notion.read_comments = False
    lines = contract_lines(check(tmp_path, gitlab, notion, database, ON))
    assert lines == [
        "gitlab source acme/sre/postmortems: the token's user cannot push to main: write-back commits "
        "need it",
        "notion source: the integration cannot read comments: turn on its comment capabilities (read and "
        "insert) and \"Update content\" for previews and write-back",
    ]
    gitlab.access_level = 10
    lines = contract_lines(check(tmp_path, gitlab, notion, database, {**ON, "write_mode": "pull"}))
    reporter = "the token's user cannot comment on merge requests (Reporter needed)"
    assert f"gitlab source acme/sre/postmortems: {reporter}" in lines


def test_off_by_default_nothing_is_checked(tmp_path: Path, gitlab: GitLabStandIn,
                                           notion: NotionStandIn) -> None:
    database = notion.add_database()
    notion.read_comments = False
    gitlab.protected.add("main")
    check(tmp_path, gitlab, notion, database, {})
    assert notion.count("GET", r"/v1/comments") == 0


def test_confluence_and_google_docs_write_access_is_checked(tmp_path: Path) -> None:
    from tests.standins.confluence import ConfluenceStandIn
    from tests.standins.gdrive import DriveStandIn

    with ConfluenceStandIn(edition="cloud", spaces=("PM",)) as conf, DriveStandIn() as drive:
        conf.create("PM", "A", "<h2>Action items</h2><ul><li>Add an alert</li></ul>",
                    labels=("postmortem-approved",))
        approved, review = drive.folder("Approved"), drive.folder("Review")

        def check_both() -> list[str]:
            config = write_config(
                tmp_path,
                teams={"ops": {"tracker": "github", "github": {"repo": "acme/web"}, "contract": ON}},
                sources={"confluence": {"url": conf.base, "spaces": [{"key": "PM"}], "contract": ON},
                         "gdocs": {"approved_folders": [approved],
                                   "contract": {**ON, "review_folders": [review]}}})
            env = {"FOLLOWTHROUGH_CONFIG": str(config),
                   "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                   "CONFLUENCE_EMAIL": conf.email, "CONFLUENCE_API_TOKEN": conf.api_token,
                   "GOOGLE_BEARER_TOKEN": "drive-token", "GOOGLE_API_URL": drive.url}
            proc = run(tmp_path, "check", env=env)
            return [line for line in proc.stdout.splitlines() if "editor" in line or "cannot edit" in line]

        assert check_both() == []
        assert conf.count("POST", r"/permission/check$") == 1
        conf.can_update = False
        drive.role = "commenter"
        assert check_both() == [
            "confluence space PM: the account cannot edit its pages: write-back updates them",
            f"gdocs folder {approved}: the account is not an editor: write-back and preview comments need "
            "Editor access",
            f"gdocs folder {review}: the account is not an editor: write-back and preview comments need "
            "Editor access",
        ]
