"""Expected results on the shared sample postmortems (skipped when the samples are not beside the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parse.conftest import REPO_ROOT, titles
from worker.models import Postmortem
from worker.parse import parse_document

SAMPLES = REPO_ROOT.parent / "shared" / "postmortems"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/postmortems")  # worktrees sit one level deeper than the CI clone

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared sample postmortems not present")


def sample(prefix: str) -> Postmortem:
    path = next(SAMPLES.glob(f"{prefix}_*.txt"))
    return parse_document(path.read_bytes(), filename=path.name)


def test_000_problem_action_table() -> None:
    pm = sample("000")
    assert pm.owner == "Tobias Viehweger"
    assert titles(pm) == [
        "Validate and improve type checker correctness",
        "Implement tests for this part of the apps authentication logic",
        "Investigate if we can improve rollback time to quickly rollback to an earlier version",
    ]
    assert all(item.owner is None for item in pm.action_items)
    assert "Problem: Static type checker did not catch the issue" in (pm.action_items[0].description or "")


def test_001_numbered_prose_commitments() -> None:
    pm = sample("001")
    assert titles(pm) == [
        "Let changes bake in our staging environment for at least one day",
        "Invest in improving our testing automation",
    ]


def test_002_plain_text_tasks_and_improvements() -> None:
    pm = sample("002")
    found = titles(pm)
    tasks = [
        t for t, i in zip(found, pm.action_items, strict=True) if i.section == "Tasks to Address the Issue"
    ]
    assert [t.split()[0] for t in tasks] == ["Develop", "Enhance", "Conduct", "Review", "Establish"]
    assert "rollback mechanism" in tasks[0] and "documentation" in tasks[1] and "training" in tasks[2]
    assert "incident response plan" in tasks[3] and "communication protocol" in tasks[4]
    assert len(found) == 8  # the 5 tasks and the 3 improvements
    assert not any(t[:2].isdigit() or "Issue detected" in t for t in found)


def test_003_markdown_bare_lines_without_narrative_or_diagram() -> None:
    pm = sample("003")
    tasks = [i.title for i in pm.action_items if i.section == "Tasks to Address the Issue"]
    assert len(tasks) == 2
    assert tasks[0].startswith("Update deployment pipelines")
    assert tasks[1].startswith("Review and revise monitoring and alerting thresholds")
    assert len(pm.action_items) == 5  # plus the 3 improvements
    joined = " ".join(titles(pm))
    assert "Checked server logs" not in joined and "Post-Incident" not in joined and "+---" not in joined


def test_004_mojibake_notion_template() -> None:
    pm = sample("004")
    assert titles(pm) == [
        "Investigate options for reducing the effort required to request an on-call override."
    ]
    assert pm.action_items[0].owner == "Martha Lambert"
    assert pm.severity == "Minor"
