"""Notion pages and GitLab files as postmortem sources, end to end through the real worker.

Stand-ins (tests/standins/notion.py, gitlab.py) follow the vendors' REST APIs; notion-client and
python-gitlab talk to them unpatched. Tickets go to the GitHub stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from redis import Redis
from starlette.testclient import TestClient

from config.celery_app import make_celery
from config.settings import Settings, load_settings
from connectors.sources import GitLabFile, NotionPage
from connectors.sources.gitlab import GitLabReader
from connectors.sources.notion import NotionReader
from tests.servers import postgres_database
from tests.service.harness import PEOPLE, postmortem_markdown, wait_for
from tests.standins.gitlab import GitLabStandIn
from tests.standins.notion import NotionStandIn, block, postmortem_blocks
from worker.tasks.names import RECONCILE_TASK

GitHubStandIn = pytest.importorskip("tests.standins.github").GitHubStandIn
postmortem_key = pytest.importorskip("worker.sync.pipeline").postmortem_key
FOLDER = "postmortems/"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database("ft_notion_gitlab") as url:
        yield url


@pytest.fixture
def github() -> Iterator[Any]:
    with GitHubStandIn(repo="acme/ops", collaborators={"ann", "bob"}) as standin:
        yield standin


@pytest.fixture
def notion() -> Iterator[NotionStandIn]:
    with NotionStandIn() as standin:
        yield standin


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    with GitLabStandIn() as standin:
        yield standin


def _settings(github: Any, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "github_token": SecretStr("test-token"), "github_api_url": github.url, "jira_url": None,
        "celery_broker_url": None, "teams": {"ops": {"tracker": "github", "github": {"repo": "acme/ops"}}},
        "default_team": "ops", "people": PEOPLE,
    }
    values.update(extra)
    return load_settings(**values)


def notion_settings(notion: NotionStandIn, github: Any, databases: list[str], **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "notion_token": SecretStr(notion.token), "notion_api_url": notion.url,
        "notion_webhook_secret": SecretStr(notion.verification_token),
        "sources": {"notion": {"databases": databases, "bot_id": notion.bot_id}}}
    return _settings(github, **{**values, **extra})


def gitlab_settings(gitlab: GitLabStandIn, github: Any, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "gitlab_token": SecretStr(gitlab.token), "gitlab_url": gitlab.url,
        "gitlab_webhook_secret": SecretStr(gitlab.hook_token),
        "sources": {"gitlab": {"project": gitlab.project, "path": FOLDER}}}
    return _settings(github, **{**values, **extra})


@pytest.fixture
def worker_app(redis_url: str, redis_client: Redis) -> str:
    import worker.tasks.pipeline
    import worker.tasks.sources  # noqa: F401

    return redis_url


def test_notion_reader_reads_nested_paged_blocks_and_refuses_other_databases(
        notion: NotionStandIn, github: Any) -> None:
    from connectors.errors import RateLimited
    from connectors.sources import NotConfigured

    mine, other = notion.add_database(), notion.add_database()
    many = [block("paragraph", f"line {n}") for n in range(150)]  # two pages of children
    nested = block("bulleted_list_item", "outer", children=[block("to_do", "inner", checked=True)])
    page = notion.add_page(mine, "Queue backlog", postmortem_blocks("Queue", 2) + many + [nested],
                           status="Approved")
    stranger = notion.add_page(other, "Elsewhere", postmortem_blocks("X", 1), status="Approved")
    reader = NotionReader(notion_settings(notion, github, [mine]))
    document = reader.fetch(NotionPage(page))
    text = document.content.decode()
    assert text.startswith("# Queue backlog\n") and "line 149" in text and "  - [x] inner" in text
    assert "| Follow-up action number 2 for Queue | bob@example.com |" in text
    assert document.approved is True and document.version == notion.pages[page].edited
    # 2 pages of the page's children, the table's rows, the nested list's children.
    assert notion.count("GET", r"/children$") == 4
    with pytest.raises(NotConfigured):
        reader.fetch(NotionPage(stranger))
    notion.fault("GET", r"/v1/pages/", "throttle", retry_after=7)
    with pytest.raises(RateLimited) as limited:
        reader.fetch(NotionPage(page))
    assert limited.value.retry_after == 7.0
    assert notion.count("GET", r"/v1/pages/") == 3  # no hidden retry inside the client


def test_notion_approval_edit_refusals_and_sweep_through_the_worker(
        notion: NotionStandIn, github: Any, worker_app: str, database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.web.app import create_app

    mine, other = notion.add_database(), notion.add_database()
    page = notion.add_page(mine, "DB outage", postmortem_blocks("DB", 2))
    stranger = notion.add_page(other, "Not ours", postmortem_blocks("Stranger", 1), status="Approved")
    missed = notion.add_page(mine, "Cache outage", postmortem_blocks("Cache", 1))
    settings = notion_settings(notion, github, [mine], redis_url=worker_app, database_url=database_url)
    app = make_celery(settings)
    label = f"ftpm-{postmortem_key(f'notion:{page}')}"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        # The handshake is answered unsigned; anything else unsigned is refused.
        assert client.post("/hooks/notion", json={"verification_token": "secret_x"}).status_code == 200
        assert client.post("/hooks/notion", json={"type": "page.created"}).status_code == 401
        # Still a draft: the event is a signal, the re-read finds it unapproved, no tickets.
        body, headers = notion.event(page)
        assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
        notion.edit(page, status="Approved")
        body, headers = notion.event(page)
        assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
        wait_for(lambda: len(github.issues_labelled(label)) == 2, timeout=40, what="2 tickets")
        # The same delivery again (a replay) is a duplicate; a forged one is refused.
        assert client.post("/hooks/notion", content=body, headers=headers).json()["status"] == "duplicate"
        forged = dict(headers, **{"X-Notion-Signature": "sha256=" + "0" * 64})
        assert client.post("/hooks/notion", content=body.replace(b"page", b"page", 1),
                           headers=forged).status_code == 401
        # Our own bot's edit is ignored; a person's edit resyncs the page.
        body, headers = notion.event(page, author_type="bot", author_id=notion.bot_id)
        assert client.post("/hooks/notion", content=body, headers=headers).json()["status"] == "ignored"
        notion.edit(page, blocks=postmortem_blocks("DB", 3))
        body, headers = notion.event(page, "page.content_updated")
        assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
        wait_for(lambda: len(github.issues_labelled(label)) == 3, timeout=40, what="the resync's ticket")
        # A page of an unconfigured database: accepted as a signal, refused when read.
        body, headers = notion.event(stranger)
        assert client.post("/hooks/notion", content=body, headers=headers).status_code == 202
        # A page approved while no event arrived: the sweep finds it.
        notion.edit(missed, status="Approved")
        app.send_task(RECONCILE_TASK).get(timeout=60)
        missed_label = f"ftpm-{postmortem_key(f'notion:{missed}')}"
        wait_for(lambda: len(github.issues_labelled(missed_label)) == 1, timeout=40, what="the swept page")
    assert len(github.issues_labelled(f"ftpm-{postmortem_key(f'notion:{stranger}')}")) == 0
    assert len(github.issues) == 4


def test_gitlab_reader_lists_fetches_and_maps_rate_limits(gitlab: GitLabStandIn, github: Any) -> None:
    from connectors.errors import RateLimited

    gitlab.commit("main", {f"{FOLDER}a.md": b"# A", f"{FOLDER}img.png": b"x", "README.md": b"r"})
    sha = gitlab.commit("main", {f"{FOLDER}a.md": b"# A", f"{FOLDER}b.md": b"# B", "README.md": b"r"})
    settings = gitlab_settings(gitlab, github)
    assert settings.sources.gitlab is not None
    reader = GitLabReader(settings)
    found = reader.list_postmortems(settings.sources.gitlab)
    assert found == [GitLabFile(gitlab.project, sha, f"{FOLDER}a.md"),
                     GitLabFile(gitlab.project, sha, f"{FOLDER}b.md")]
    first = reader.fetch(found[0])
    # a.md did not change in the second commit: its version is the first commit's time.
    changed_at = gitlab.commits[sha].changed[f"{FOLDER}a.md"]
    assert first.content == b"# A" and first.version == gitlab.commits[changed_at].at
    gitlab.fault("GET", r"/repository/files/", "throttle", retry_after=9)
    with pytest.raises(RateLimited) as limited:
        reader.fetch(found[0])
    assert limited.value.retry_after == 9.0
    assert gitlab.count("GET", r"/repository/files/") == 2  # python-gitlab slept through nothing


def _push(gitlab: GitLabStandIn, before: str, after: str, paths: list[str], *,
          project: str | None = None) -> dict[str, Any]:
    return {"object_kind": "push", "ref": "refs/heads/main", "before": before, "after": after,
            "total_commits_count": 1, "commits": [{"id": after, "added": paths, "modified": []}],
            "project": {"path_with_namespace": project or gitlab.project, "default_branch": "main"}}


def test_gitlab_push_merge_edit_refusals_and_sweep_through_the_worker(
        gitlab: GitLabStandIn, github: Any, worker_app: str, database_url: str) -> None:
    from celery.contrib.testing.worker import start_worker

    from worker.web.app import create_app

    first = f"{FOLDER}2030-01-db.md"
    base = gitlab.commit("main", {"README.md": b"r"})
    sha = gitlab.commit("main", {"README.md": b"r", first: postmortem_markdown("DB", 2).encode()})
    settings = gitlab_settings(gitlab, github, redis_url=worker_app, database_url=database_url)
    app = make_celery(settings)
    label = f"ftpm-{postmortem_key(f'gitlab:{gitlab.project}:{first}')}"

    def post(client: TestClient, event: str, payload: dict[str, Any], **kw: Any) -> Any:
        body, headers = gitlab.hook(event, payload, **kw)
        return client.post("/hooks/gitlab", content=body, headers=headers)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20), \
            TestClient(create_app(settings, celery=app)) as client:
        assert post(client, "Push Hook", _push(gitlab, base, sha, [first])).status_code == 202
        wait_for(lambda: len(github.issues_labelled(label)) == 2, timeout=40, what="2 tickets")
        # Forged token: refused. Another project: ignored.
        assert post(client, "Push Hook", _push(gitlab, base, sha, [first]), token="wrong").status_code == 401
        other = _push(gitlab, base, sha, [first], project="evil/project")
        assert post(client, "Push Hook", other).json()["status"] == "ignored"
        # An edit merged through a merge request: the merge event resyncs the file.
        merged = gitlab.commit("main", {"README.md": b"r", first: postmortem_markdown("DB", 3).encode()})
        gitlab.merge_requests[7] = {"state": "merged", "target_branch": "main", "merge_commit_sha": merged,
                                    "files": [(first, "modified")]}
        mr = {"object_kind": "merge_request",
              "project": {"path_with_namespace": gitlab.project, "default_branch": "main"},
              "object_attributes": {"iid": 7, "action": "merge", "target_branch": "main"}}
        assert post(client, "Merge Request Hook", mr).status_code == 202
        wait_for(lambda: len(github.issues_labelled(label)) == 3, timeout=40, what="the resync's ticket")
        # A file pushed while the receiver was down: the sweep finds it.
        second = f"{FOLDER}2030-02-cache.md"
        gitlab.commit("main", {"README.md": b"r", first: postmortem_markdown("DB", 3).encode(),
                               second: postmortem_markdown("Cache", 1).encode()})
        app.send_task(RECONCILE_TASK).get(timeout=60)
        swept = f"ftpm-{postmortem_key(f'gitlab:{gitlab.project}:{second}')}"
        wait_for(lambda: len(github.issues_labelled(swept)) == 1, timeout=40, what="the swept file")
    assert len(github.issues) == 4


def test_gitlab_standard_webhooks_signature_refuses_forged_and_replayed(
        gitlab: GitLabStandIn, github: Any, worker_app: str, database_url: str, tmp_path: Any) -> None:
    import time

    from worker.web.app import create_app

    gitlab.signing_secret = b"k" * 32
    secret = SecretStr("whsec_" + __import__("base64").b64encode(gitlab.signing_secret).decode())
    settings = gitlab_settings(gitlab, github, redis_url=worker_app, database_url=database_url,
                               gitlab_signing_secret=secret)
    app = make_celery(settings)
    sha = gitlab.commit("main", {f"{FOLDER}x.md": b"# X"})
    payload = _push(gitlab, "0" * 40, sha, [f"{FOLDER}x.md"])
    with TestClient(create_app(settings, celery=app)) as client:
        body, headers = gitlab.hook("Push Hook", payload)
        assert client.post("/hooks/gitlab", content=body, headers=headers).status_code == 202
        # The same signed delivery again: a duplicate, nothing queued.
        assert client.post("/hooks/gitlab", content=body, headers=headers).json()["status"] == "duplicate"
        stale_body, stale = gitlab.hook("Push Hook", payload, signed_at=int(time.time()) - 3600)
        assert client.post("/hooks/gitlab", content=stale_body, headers=stale).status_code == 401
        tampered = body.replace(b"refs/heads/main", b"refs/heads/mainx")
        assert client.post("/hooks/gitlab", content=tampered, headers=headers).status_code == 401
        unsigned = {k: v for k, v in headers.items() if not k.startswith("webhook-")}
        assert client.post("/hooks/gitlab", content=json.dumps(payload).encode() + b" ",
                           headers=unsigned).status_code == 401


def _check(tmp_path: Any, env_values: dict[str, str]) -> Any:
    import subprocess
    import sys

    from tests.service.harness import ROOT, service_env, write_config

    config = write_config(tmp_path, teams={"ops": {"tracker": "github", "github": {"repo": "acme/ops"}}},
                          default_team="ops")
    env = service_env(config, **env_values)
    return subprocess.run([sys.executable, "-m", "worker", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_check_validates_notion_and_gitlab_sources(notion: NotionStandIn, gitlab: GitLabStandIn,
                                                   github: Any, tmp_path: Any) -> None:
    database = notion.add_database()
    gitlab.commit("main", {f"{FOLDER}a.md": b"# A"})
    base = {"GITHUB_TOKEN": "test-token", "GITHUB_API_URL": github.url, "NOTION_TOKEN": notion.token,
            "NOTION_API_URL": notion.url, "GITLAB_TOKEN": gitlab.token, "GITLAB_URL": gitlab.url,
            "FOLLOWTHROUGH_NOTION_WEBHOOK_SECRET": "x", "FOLLOWTHROUGH_GITLAB_WEBHOOK_SECRET": "y"}
    good = {"notion": {"databases": [database]}, "gitlab": {"project": gitlab.project, "path": FOLDER}}
    done = _check(tmp_path, {**base, "FOLLOWTHROUGH_SOURCES": json.dumps(good)})
    assert done.returncode == 0, done.stdout + done.stderr
    bad = {"notion": {"databases": [database, "f" * 32], "approved_status": "Signed off"},
           "gitlab": {"project": gitlab.project, "path": "nowhere/", "branch": "release"}}
    done = _check(tmp_path, {**base, "FOLLOWTHROUGH_SOURCES": json.dumps(bad), "NOTION_TOKEN": "wrong"})
    assert done.returncode == 2
    assert "notion: NOTION_TOKEN rejected" in done.stdout
    assert f"gitlab {gitlab.project}: branch 'release' or folder 'nowhere/' does not exist" in done.stdout
    done = _check(tmp_path, {**base, "FOLLOWTHROUGH_SOURCES": json.dumps(bad)})
    lines = done.stdout.splitlines()
    assert f"notion database {'f' * 32}: does not exist or is not shared with the integration" in lines
    assert (f"notion database {database}: property 'Status' has no option 'Signed off' "
            "(sources.notion.approved_status)") in lines


def test_notion_handshake_keeps_the_token_for_the_operator_until_it_is_configured(
        notion: NotionStandIn, github: Any, tmp_path: Any, database_url: str) -> None:
    from worker.web.app import create_app

    target = tmp_path / "notion-token"
    settings = notion_settings(notion, github, [notion.add_database()], database_url=database_url,
                               notion_webhook_secret=None, notion_verification_file=str(target))
    with TestClient(create_app(settings, celery=make_celery(settings))) as client:
        answer = client.post("/hooks/notion", json={"verification_token": notion.verification_token})
        assert answer.status_code == 200 and notion.verification_token not in answer.text
        assert target.read_text() == notion.verification_token + "\n"
        assert target.stat().st_mode & 0o777 == 0o600
        # No token configured yet: every signed event is refused (checked against a random key).
        body, headers = notion.event(next(iter(notion.pages), "0" * 32))
        assert client.post("/hooks/notion", content=body, headers=headers).status_code == 401
        # A handshake body with anything else in it is no handshake.
        assert client.post("/hooks/notion", json={"verification_token": "x", "type": "page.created"}
                           ).status_code == 401
    configured = settings.model_copy(update={"notion_webhook_secret": SecretStr("secret_real")})
    with TestClient(create_app(configured, celery=make_celery(configured))) as client:
        answer = client.post("/hooks/notion", json={"verification_token": "secret_attacker"})
        assert answer.json() == {"status": "ignored", "reason": "already verified"}
    assert target.read_text() == notion.verification_token + "\n"


def test_gitlab_incidents_and_confinement_of_broker_requests(gitlab: GitLabStandIn, github: Any,
                                                             tmp_path: Any) -> None:
    from tests.standins.gitlab import Issue
    from worker.service.fetch import fetch_document
    from worker.service.requests import IngestRequest
    from worker.service.sweep import find_unseen
    from worker.service.trust import Refused, check_source

    gitlab.commit("main", {f"{FOLDER}a.md": b"# A"})
    gitlab.issues[1] = Issue(1, "Outage", "## Action items\n\n- [ ] Add alert", [], [], None, "incident",
                             state="closed")
    gitlab.issues[2] = Issue(2, "Ordinary", "text", [], [], None, "issue", state="closed")
    settings = gitlab_settings(gitlab, github, database_url=f"sqlite:///{tmp_path / 'ft.db'}",
                               sources={"gitlab": {"project": gitlab.project, "path": FOLDER,
                                                   "incidents": True}})
    sources = sorted(str(request.source) for request in find_unseen(settings))
    assert sources == [f"gitlab-incident:{gitlab.project}#1",
                       f"gitlab:{gitlab.project}@{gitlab.branches['main']}:{FOLDER}a.md"]
    from connectors.sources import GitLabIncident

    document = fetch_document(settings, GitLabIncident(gitlab.project, 1))
    assert document.content.decode().startswith("# Outage\n") and document.title == "Outage"
    with pytest.raises(Refused):
        fetch_document(settings, GitLabIncident(gitlab.project, 2))  # not an incident
    for source in (f"gitlab:evil/project@{'a' * 40}:{FOLDER}a.md",
                   f"gitlab:{gitlab.project}@{'a' * 40}:src/app.py",
                   f"gitlab:{gitlab.project}@{'a' * 40}:{FOLDER}../secrets.md"):
        with pytest.raises(Refused):
            check_source(settings, IngestRequest(source=source))
    no_incidents = gitlab_settings(gitlab, github)
    with pytest.raises(Refused):
        check_source(no_incidents, IngestRequest(source=f"gitlab-incident:{gitlab.project}#1"))


def test_calls_per_postmortem(notion: NotionStandIn, gitlab: GitLabStandIn, github: Any) -> None:
    database = notion.add_database()
    page = notion.add_page(database, "Usual", postmortem_blocks("Usual", 5), status="Approved")
    reader = NotionReader(notion_settings(notion, github, [database]))
    reader.fetch(NotionPage(page))
    # The page (approval, version), its blocks, the action-item table's rows.
    assert reader.calls == 3 and len(notion.calls) == 3
    sha = gitlab.commit("main", {f"{FOLDER}usual.md": postmortem_markdown("Usual", 5).encode()})
    gitlab_reader = GitLabReader(gitlab_settings(gitlab, github))
    gitlab_reader.fetch(GitLabFile(gitlab.project, sha, f"{FOLDER}usual.md"))
    assert gitlab_reader.connection.calls == 2 and len(gitlab.calls) == 2  # the file, its commit's time


def test_resync_rereads_a_gitlab_file_at_the_branch_head(gitlab: GitLabStandIn, github: Any,
                                                         tmp_path: Any) -> None:
    from worker.service.resync import reingest
    from worker.sync import pipeline

    path = f"{FOLDER}resync.md"
    old = gitlab.commit("main", {path: postmortem_markdown("Resync", 1).encode()})
    settings = gitlab_settings(gitlab, github, database_url=f"sqlite:///{tmp_path / 'ft.db'}")
    first = pipeline.ingest(settings, content=postmortem_markdown("Resync", 1).encode(),
                            source=f"gitlab:{gitlab.project}@{old}:{path}",
                            postmortem_id=f"gitlab:{gitlab.project}:{path}")
    new = gitlab.commit("main", {path: postmortem_markdown("Resync", 2).encode()})
    assert reingest(settings, first.postmortem_key).item_count == 2
    record = pipeline.open_store(settings).get_postmortem(first.postmortem_key)
    assert record is not None and record.source == f"gitlab:{gitlab.project}@{new}:{path}"


def test_gitlab_hook_decisions(gitlab: GitLabStandIn, github: Any) -> None:
    from worker.tasks.names import INGEST_GITLAB_TASK
    from worker.web.receive import Answer, Delivery, Enqueue
    from worker.web.source_approvals import gitlab as decide

    settings = gitlab_settings(gitlab, github)

    def delivery(event: str, payload: dict[str, Any]) -> Any:
        body, headers = gitlab.hook(event, payload)
        return decide(settings, Delivery(body=body, payload=payload, headers=headers, signed_at=None))

    many = [{"id": str(n), "added": [f"{FOLDER}{n}.md"], "modified": []} for n in range(20)]
    truncated = {**_push(gitlab, "a" * 40, "b" * 40, []), "commits": many, "total_commits_count": 25}
    outcome = delivery("Push Hook", truncated)
    # Only the first 20 commits are listed: the task compares before..after instead of trusting the list.
    assert isinstance(outcome, Enqueue) and outcome.task == INGEST_GITLAB_TASK
    assert outcome.args == [{"project": gitlab.project, "sha": "b" * 40, "before": "a" * 40, "paths": None}]
    outside = _push(gitlab, "a" * 40, "b" * 40, ["src/app.py"])
    assert delivery("Push Hook", outside) == Answer({"status": "ignored"})
    other_branch = {**_push(gitlab, "a" * 40, "b" * 40, [f"{FOLDER}x.md"]), "ref": "refs/heads/topic"}
    assert delivery("Push Hook", other_branch) == Answer({"status": "ignored"})
    opened = {"project": {"path_with_namespace": gitlab.project, "default_branch": "main"},
              "object_attributes": {"iid": 3, "action": "open", "target_branch": "main"}}
    assert delivery("Merge Request Hook", opened) == Answer({"status": "ignored"})
    approved = {**opened, "object_attributes": {"iid": 3, "action": "approved", "target_branch": "main"}}
    assert delivery("Merge Request Hook", approved).args == [{"project": gitlab.project, "mr": 3}]
