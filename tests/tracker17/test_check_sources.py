"""`check` validates each configured source: a wrong branch and an empty folder are named, one line each."""

from __future__ import annotations

from pathlib import Path

from tests.service.github_sources import GitHubSourcesStandIn
from tests.tracker17.support import GITHUB_TEAMS, cli, write_config


def test_check_names_a_wrong_branch_and_an_empty_folder(tmp_path: Path) -> None:
    with GitHubSourcesStandIn(repo="acme/ops", collaborators={"ana"}) as github:
        github.commit("main", {"docs/postmortems/a.md": b"# A"})
        env = {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url}
        source = {"repo": "acme/ops", "path": "docs/postmortems/"}
        write_config(tmp_path, GITHUB_TEAMS, sources={"github": {**source, "branch": "no-such-branch"}})
        wrong = cli(tmp_path, "check", env=env)
        write_config(tmp_path, GITHUB_TEAMS, sources={"github": {"repo": "acme/ops", "path": "docs/empty/"}})
        empty = cli(tmp_path, "check", env=env)
        write_config(tmp_path, GITHUB_TEAMS, sources={"github": source})
        sound = cli(tmp_path, "check", env=env)
    assert wrong.returncode == 2
    assert "source github:acme/ops: acme/ops: branches ('no-such-branch'): not found" in wrong.stdout
    assert empty.returncode == 2 and "no postmortem files under 'docs/empty/'" in empty.stdout
    assert sound.returncode == 0, sound.stdout
