"""The dashboard in a real browser: numbers equal `followthrough report --format json`, filters, ticket
links, an inert <script> in a title, and a refused page without the token."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.dashboard import browser
from tests.dashboard.conftest import Seeded
from tests.dashboard.seeding import AT, HOSTILE
from tests.dashboard.serving import Served

ROOT = Path(__file__).resolve().parents[2]

if not browser.available():  # the README's test command installs it; say so rather than skip quietly
    pytest.fail("chromium is not installed: apt-get install -y chromium", pytrace=False)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with browser.chromium() as launched:
        yield launched


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    errors: list[str] = []
    context.set_default_timeout(10_000)
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # A Content-Security-Policy violation (an inline style or script the page relied on) is a console error;
    # so is a refused page's 403, which one test provokes on purpose.
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield opened
    context.close()
    assert [error for error in errors if "403" not in error] == []


@pytest.fixture(scope="module")
def report(seeded: Seeded) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "worker", "report", "--format", "json", "--at", AT]
    done = subprocess.run(command, cwd=ROOT, env=seeded.env(), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    data: list[dict[str, Any]] = json.loads(done.stdout)
    return data


def lines(team: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for owner in team["owners"] for pm in owner["postmortems"] for item in pm["items"]]


def rate(done_on_time: int, due_so_far: int) -> str:
    return f"{done_on_time / due_so_far * 100:.0f}%" if due_so_far else "–"


def test_numbers_match_the_report(page: Page, served: Served, report: list[dict[str, Any]]) -> None:
    page.goto(f"{served.url}/?at={AT}")
    shown = {name: page.locator(f'[data-figure="{name}"]').inner_text()
             for name in ("open", "overdue", "due_soon", "completion_rate", "median_days_overdue")}
    totals = {key: sum(team["summary"][key] for team in report)
              for key in ("open", "overdue", "due_soon", "done_on_time", "due_so_far")}
    overdue = [item["days_overdue"] for team in report for item in lines(team) if item["state"] == "overdue"]
    assert shown == {"open": str(totals["open"]), "overdue": str(totals["overdue"]),
                     "due_soon": str(totals["due_soon"]),
                     "completion_rate": rate(totals["done_on_time"], totals["due_so_far"]),
                     "median_days_overdue": f"{statistics.median(overdue):.1f}".removesuffix(".0")}
    for team in report:
        cells = page.locator(f'#teams tr[data-team="{team["team"]}"] td').all_inner_texts()
        s = team["summary"]
        assert cells[1:4] == [str(s["overdue"]), str(s["open"]), str(s["due_soon"])]
        assert cells[5] == rate(s["done_on_time"], s["due_so_far"])


def test_filters_work(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/overdue?at={AT}")
    assert page.locator("#overdue tbody tr").count() == 4
    page.select_option('select[name="team"]', "web")
    page.click('button[type="submit"]')
    page.wait_for_url("**/overdue?*team=web*")
    assert page.locator("#overdue tbody tr").count() == 3
    page.select_option('select[name="owner"]', "Cleo Cruz")
    page.click('button[type="submit"]')
    assert "owner=Cleo+Cruz" in page.url and "team=web" in page.url and f"at={AT[:10]}" in page.url
    assert page.locator("#overdue tbody tr td.title").all_inner_texts() == ["Retire old proxy", "Rotate keys"]
    page.goto(page.url)  # the URL alone gives the same view (shareable)
    assert page.locator("#overdue tbody tr").count() == 2


def test_links_point_at_the_tickets(page: Page, served: Served, report: list[dict[str, Any]]) -> None:
    urls = {item["ticket"]: item["url"] for team in report for item in lines(team)}
    page.goto(f"{served.url}/overdue?at={AT}")
    links = page.locator("#overdue a.ticket")
    seen = {links.nth(n).inner_text(): links.nth(n).get_attribute("href") for n in range(links.count())}
    assert seen and all(urls[key] == href for key, href in seen.items())
    page.click("text=CDN purge storm >> nth=0")
    assert "/postmortems/pm-cdn" in page.url and page.locator("#progress").get_attribute("value") == "1"


def test_script_in_a_title_stays_inert(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/teams/sre?at={AT}")
    # The stylesheet applied (CSP allows 'self'): the overdue state is drawn in the alarm colour.
    color = page.locator(".state.overdue").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(192, 57, 43)"
    assert page.title() == "sre · Followthrough"
    assert HOSTILE in page.locator("td.title").all_inner_texts()
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_without_the_token_the_page_is_refused(page: Page, served_with_token: Served) -> None:
    refused = page.goto(f"{served_with_token.url}/?at={AT}")
    assert refused is not None and refused.status == 403
    assert "Organisation" not in page.content()
    page.goto(f"{served_with_token.url}/overdue?team=sre&token=s3cret-token")
    assert page.url == f"{served_with_token.url}/overdue?team=sre"  # the token left the address bar
    assert page.locator("#overdue td.title").all_inner_texts() == [HOSTILE, "Write runbook"]  # as of today
