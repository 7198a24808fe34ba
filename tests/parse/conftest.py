"""Shared helpers for the parser tests: fixture loading and item lookup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from worker.models import ActionItem, Postmortem
from worker.parse import parse_document

# CI must not fail on a fresh random case: there the examples are derived from each test's source
# (derandomize), so a run is reproducible; locally hypothesis explores new cases on every run.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev")
settings.load_profile("ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parse"
REPO_ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> Postmortem:
    """Parse one fixture file through the public API."""
    path = FIXTURES / name
    return parse_document(path.read_bytes(), filename=path.name)


def titles(postmortem: Postmortem) -> list[str]:
    return [item.title for item in postmortem.action_items]


def item(postmortem: Postmortem, title: str) -> ActionItem:
    matches = [i for i in postmortem.action_items if i.title == title]
    assert matches, f"no item titled {title!r}; have {titles(postmortem)}"
    return matches[0]


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
