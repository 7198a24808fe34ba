"""Take the README's and docs' screenshots of the dashboard with Playwright and Debian's chromium.

Run from the repository root: `.venv/bin/python bench/dashboard_screenshots.py [--out docs]`.
Fills a throw-away SQLite store (tests/dashboard/bulk.py, 2,000 items in 8 teams), serves the real app on
a loopback port and saves docs/dashboard-overview.png, -team.png, -overdue.png, -postmortem.png and
-attention.png, all as of the bulk store's moment.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from tests.dashboard import browser
from tests.dashboard.bulk import NOW, fill, settings_for, team_name
from tests.dashboard.serving import Served

PAGES = {
    "overview": "/",
    "team": f"/teams/{team_name(1)}",
    "overdue": f"/overdue?team={team_name(1)}&kind=prevent",
    "postmortem": "/postmortems/t01-pm0009",
    "attention": "/attention",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screens.db"
        fill(url, items=2000, teams=8)
        token = SecretStr("screens")
        settings = settings_for(url, 8, Path(tmp)).model_copy(update={"dashboard_token": token})
        with Served(settings, signed_in="screens") as server, browser.chromium() as chromium:
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            for name, path in PAGES.items():
                joiner = "&" if "?" in path else "?"
                page.goto(f"{server.url}{path}{joiner}at={NOW.isoformat().replace('+', '%2B')}")
                target = args.out / f"dashboard-{name}.png"
                page.screenshot(path=str(target), full_page=name != "team")
                print(f"saved {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
