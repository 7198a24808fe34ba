"""Refresh and report over many tracked items across teams, against the local tracker stand-ins.

Run from the repository root:
`/work/venv/bin/python bench/bench_report.py [--items 10000] [--teams 20] [--database-url URL]`.
Half the teams use Jira projects (one Jira stand-in), half GitHub repositories (one stand-in each).
Prints tracker read calls (target: at most ceil(items/100) plus one per team and tracker), wall time of
the refresh and of building and rendering every team's report, and peak Python memory (tracemalloc).
Then, for one team with 10, 100, 1,000 and 10,000 open items, the size of each channel's payload for the
full report and for the fitted digest that is sent, against the channel limits, and the time to fit.
`--channels-only` prints only that second part (no stand-ins needed).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from config.settings import Settings
from config.teams import GitHubDestination, JiraDestination, Team
from connectors.github import GitHubTracker, connect_github
from connectors.jira import JiraTracker, connect_jira
from connectors.notify import template_json
from connectors.throttle import NoThrottle
from connectors.tracker import MANAGED_LABEL, Ticket, TicketFields, Tracker, fingerprint_label
from tests.followup.test_fit import team_items
from tests.standins.github import GitHubStandIn
from tests.standins.jira import JiraStandIn
from worker.followup import jobs
from worker.followup.deliver import notification
from worker.followup.render.slack import render_slack
from worker.followup.render.teams import render_teams
from worker.models import ActionItem, Postmortem
from worker.store import Store
from worker.store.tracked import FollowupStore

NOW = datetime(2026, 3, 30, 7, tzinfo=UTC)
APPROVED = NOW - timedelta(days=40)
KINDS = ("prevent", "detect", "process", "mitigate", None)


def seed_team(store: Store, team: str, keys: list[str], urls: list[str], tracker: str) -> None:
    """One postmortem per 25 items, each item mapped to its ticket, as a sync would leave the store."""
    for start in range(0, len(keys), 25):
        pm = f"{team}-pm{start // 25}"
        items = tuple(ActionItem(title=f"Action {n} of {pm}", fingerprint=f"{pm}-{n}",
                                 due=(NOW.date() + timedelta(days=n % 40 - 20)) if n % 3 else None,
                                 kind=KINDS[n % len(KINDS)], priority="P1" if n % 4 == 0 else "P3")
                      for n in range(len(keys[start:start + 25])))
        store.save_postmortem(Postmortem(identity=pm, title=f"Incident {pm}", action_items=items), key=pm,
                              source=f"inline:{pm}", team=team, content_hash=pm, content=None,
                              approved_at=APPROVED, now=APPROVED)
        for item, key, url in zip(items, keys[start:], urls[start:], strict=False):
            ticket = Ticket(key=key, url=url, fingerprint=item.fingerprint,
                            fields=TicketFields(title=item.title, due=item.due))
            store.record_ticket(pm, item.fingerprint, ticket, tracker=tracker, now=APPROVED)


def channel_sizes() -> None:
    """Payload sizes of one team's report per channel: full report versus the fitted digest."""
    from tests.followup.fixtures import NOW as FIXTURE_NOW
    from tests.followup.fixtures import policy
    from worker.followup.report import build_report

    print("channel payloads for one team (limits: Slack 50 blocks and a 35,000-byte Apprise template, "
          "Teams ~28,000 bytes):")
    print(f"{'open items':>10} | {'Slack full':>18} | {'Slack sent':>18} | {'Teams full':>11} | "
          f"{'Teams sent':>10} | {'Markdown sent':>13} | {'fit time':>8}")
    for count in (10, 100, 1000, 10_000):
        report = build_report("ops", team_items(count), policy(), FIXTURE_NOW)
        full_slack, full_teams = render_slack(report), render_teams(report)
        started = time.perf_counter()
        message = notification(report)
        elapsed = time.perf_counter() - started

        def slack_size(payload: dict[str, object]) -> str:
            blocks = payload["blocks"]
            assert isinstance(blocks, list)
            return f"{len(blocks)} bl, {len(template_json(payload).encode()):,} B"

        print(f"{count:>10} | {slack_size(full_slack):>18} | {slack_size(message.slack):>18} | "
              f"{len(template_json(full_teams).encode()):>9,} B | "
              f"{len(template_json(message.teams).encode()):>8,} B | "
              f"{len(message.markdown.encode()):>11,} B | {elapsed * 1000:>5.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--database-url", help="an empty database to use (default: a temporary SQLite file)")
    parser.add_argument("--channels-only", action="store_true", help="only the channel payload sizes")
    args = parser.parse_args()
    if args.channels_only:
        channel_sizes()
        return 0
    per_team = args.items // args.teams
    jira_teams = args.teams // 2

    with tempfile.TemporaryDirectory() as tmp, JiraStandIn() as jira_api:
        github_apis = [GitHubStandIn(repo=f"acme/team{n:02d}").start() for n in range(jira_teams, args.teams)]
        try:
            db = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            store = Store(db)
            teams, trackers = seed_all(store, jira_api, github_apis, teams=args.teams, per_team=per_team)
            close_some(jira_api, github_apis)
            settings = Settings(database_url=db, teams=teams, default_team="team00",
                                _env_file=None)  # type: ignore[call-arg]
            jira_api.reset_calls()
            for api in github_apis:
                api.reset_calls()
            ok = measure(settings, FollowupStore(store), trackers, jira_api, github_apis,
                         items=per_team * args.teams, jira_teams=jira_teams)
            store.close()
            channel_sizes()
            return 0 if ok else 1
        finally:
            for api in github_apis:
                api.stop()


def seed_all(store: Store, jira_api: JiraStandIn, github_apis: list[GitHubStandIn], *, teams: int,
             per_team: int) -> tuple[dict[str, Team], dict[str, Tracker]]:
    """The first half of the teams on Jira projects, the rest on GitHub repositories, each seeded."""
    jira_teams = teams // 2
    settings_base = Settings(jira_url=jira_api.url, jira_email=jira_api.email,
                             jira_api_token=SecretStr(jira_api.api_token), _env_file=None)  # type: ignore[call-arg]
    jira_client = connect_jira(settings_base, timeout=30)
    print(f"seeding {per_team * teams} items across {teams} teams ...", file=sys.stderr)
    seeded: dict[str, Team] = {}
    trackers: dict[str, Tracker] = {}
    for n in range(teams):
        name = f"team{n:02d}"
        if n < jira_teams:
            project = f"T{n:02d}"
            keys, urls = seed_jira_tickets(jira_api, project, name, per_team)
            seeded[name] = Team(name=name, tracker="jira", jira=JiraDestination(project=project))
            trackers[name] = JiraTracker(jira_client, JiraDestination(project=project))
        else:
            api = github_apis[n - jira_teams]
            keys, urls = seed_github_issues(api, per_team)
            settings_gh = Settings(github_token=SecretStr(api.token or "x"), github_api_url=api.url,
                                   _env_file=None)  # type: ignore[call-arg]
            seeded[name] = Team(name=name, tracker="github", github=GitHubDestination(repo=api.repo))
            trackers[name] = GitHubTracker(connect_github(settings_gh, timeout=30),
                                           GitHubDestination(repo=api.repo), throttle=NoThrottle())
        seed_team(store, name, keys, urls, seeded[name].tracker)
    return seeded, trackers


def seed_jira_tickets(
    jira_api: JiraStandIn, project: str, name: str, count: int
) -> tuple[list[str], list[str]]:
    """`count` managed tickets in a new Jira project: their keys and links."""
    keys: list[str] = []
    urls: list[str] = []
    jira_api.add_project(project)
    for i in range(count):
        created = jira_api._commit_create({
            "project": {"key": project}, "issuetype": {"name": "Task"},
            "summary": f"Action {i}",
            "labels": [MANAGED_LABEL, fingerprint_label(f"{name}-{i}")],
            "duedate": None})
        keys.append(created["key"])
        urls.append(f"{jira_api.url}/browse/{created['key']}")
    return keys, urls


def seed_github_issues(api: GitHubStandIn, count: int) -> tuple[list[str], list[str]]:
    """`count` managed issues in one GitHub repository: their keys and links."""
    keys: list[str] = []
    urls: list[str] = []
    for i in range(count):
        issue = api.add_issue(f"Action {i}", labels=[MANAGED_LABEL])
        keys.append(f"{api.repo}#{issue.number}")
        urls.append(f"https://github.com/{api.repo}/issues/{issue.number}")
    return keys, urls


def close_some(jira_api: JiraStandIn, github_apis: list[GitHubStandIn]) -> None:
    """People close a third of the tickets, a tenth as won't do."""
    for key in list(jira_api.issues)[::3]:
        jira_api.close_issue(key)
    for key in list(jira_api.issues)[1::10]:
        jira_api.close_issue(key, resolution="Won't Do")
    for api in github_apis:
        for number in list(api.issues)[::3]:
            api.close_issue(number)
        for number in list(api.issues)[1::10]:
            api.close_issue(number, reason="not_planned")


def measure(settings: Settings, fstore: FollowupStore, trackers: dict[str, Tracker], jira_api: JiraStandIn,
            github_apis: list[GitHubStandIn], *, items: int, jira_teams: int) -> bool:
    """Refresh, then build and render every team's report; print the figures. True: reads on target."""
    teams = len(settings.teams)
    tracemalloc.start()
    started = time.perf_counter()
    outcome = jobs.refresh(settings, fstore, NOW, tracker_for=lambda team: trackers[team.name])
    refreshed = time.perf_counter()
    sizes = []
    for team in settings.teams.values():
        report = jobs.team_report(settings, fstore, team, NOW)
        message = notification(report)  # what is sent: each channel's fitted digest
        sizes.append(len(str(message.slack)) + len(str(message.teams)) + len(message.email_html)
                     + len(message.markdown))
    reported = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    jira_reads = jira_api.count(None, r"search")
    github_reads = sum(api.count("GET", r"/issues") for api in github_apis)
    target = math.ceil(items / 100) + teams
    print(f"items tracked:            {items} across {teams} teams "
          f"({jira_teams} Jira projects, {teams - jira_teams} GitHub repos)")
    print(f"tickets listed:           {outcome.result.tickets}, changed: {outcome.result.changed}")
    print(f"tracker read calls:       {jira_reads + github_reads} "
          f"(Jira {jira_reads}, GitHub {github_reads}; target <= {target})")
    print(f"refresh wall time:        {refreshed - started:.2f} s")
    print(f"report build+fit+render:  {reported - refreshed:.2f} s for {len(sizes)} teams "
          f"({sum(sizes) // 1024} KiB rendered)")
    print(f"peak Python memory:       {peak / 1024 / 1024:.1f} MiB (tracemalloc)")
    return jira_reads + github_reads <= target


if __name__ == "__main__":
    sys.exit(main())
