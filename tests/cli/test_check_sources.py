"""`followthrough check` on the Confluence and Google Docs sources: credentials, spaces or folders, and
the approval rule, against their stand-ins (one line per problem, exit 2; nothing is written)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import ACCOUNT, run, write_config
from tests.standins.confluence import ConfluenceStandIn
from tests.standins.gdrive import DriveStandIn
from tests.standins.jira import JiraStandIn


def test_check_reports_each_confluence_problem(tmp_path: Path) -> None:
    with JiraStandIn() as jira, ConfluenceStandIn(edition="cloud", spaces=("PM", "DOCS")) as conf:
        jira.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        conf.create("PM", "Approved", "<p>x</p>", labels=("postmortem-approved",))
        spaces = [{"key": "PM"}, {"key": "DOCS"}, {"key": "GONE"},
                  {"key": "PM", "approval": "status", "status": "Signed off"}]
        config = write_config(tmp_path, sources={"confluence": {"url": conf.base, "spaces": spaces}})
        env = {"FOLLOWTHROUGH_CONFIG": str(config), "JIRA_URL": jira.url, "JIRA_EMAIL": jira.email,
               "JIRA_API_TOKEN": jira.api_token, "CONFLUENCE_EMAIL": conf.email,
               "CONFLUENCE_API_TOKEN": conf.api_token}
        proc = run(tmp_path, "check", env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stdout.strip().splitlines()
        assert "confluence space DOCS: no page carries the approval label 'postmortem-approved' yet" in lines
        assert "confluence space GONE: no such space, or the credentials cannot read it" in lines
        status = "confluence space PM: page status 'Signed off' is not one of"
        assert any(line.startswith(status) for line in lines)
        assert lines[-1] == "3 problem(s)"
        assert {method for method, _ in conf.calls} == {"GET"}
        wrong = run(tmp_path, "check", env=dict(env, CONFLUENCE_API_TOKEN="wrong"))
        assert wrong.returncode == 2 and "confluence: confluence user: HTTP 401" in wrong.stdout


def test_check_reports_each_google_docs_problem(tmp_path: Path) -> None:
    with JiraStandIn() as jira, DriveStandIn() as drive:
        jira.add_user("Ana Lima", email="ana@example.com", account_id=ACCOUNT)
        approved = drive.folder("Approved")
        doc = drive.doc("Not a folder", "<p>x</p>", approved)
        config = write_config(tmp_path, sources={"gdocs": {"approved_folders": [approved, doc, "missing"]}})
        env = {"FOLLOWTHROUGH_CONFIG": str(config), "JIRA_URL": jira.url, "JIRA_EMAIL": jira.email,
               "JIRA_API_TOKEN": jira.api_token, "GOOGLE_API_URL": drive.url,
               "GOOGLE_SERVICE_ACCOUNT_FILE": str(drive.service_account_file(tmp_path))}
        proc = run(tmp_path, "check", env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout.strip().splitlines() == [
            f"gdocs folder {doc}: is not a folder (or is in the trash)",
            "gdocs folder missing: no such folder, or it is not shared with the service account",
            "2 problem(s)"]
        ok = write_config(tmp_path, sources={"gdocs": {"approved_folders": [approved]}})
        assert run(tmp_path, "check", env=dict(env, FOLLOWTHROUGH_CONFIG=str(ok))).returncode == 0
