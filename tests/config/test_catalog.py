"""The settings documentation is generated from the settings model and must not drift from it: the tables
in README.md and docs/settings.md, the YAML keys, every setting name the docs mention, and compose's
x-app-env (which must pass every setting to the containers)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from config import catalog
from config.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_the_generated_tables_are_current() -> None:
    table = catalog.markdown_table()
    for name in ("README.md", "docs/settings.md"):
        text = (REPO / name).read_text(encoding="utf-8")
        assert table in text, f"{name}: the settings table drifted; run `python -m config.catalog`"


def test_every_setting_has_a_meaning_and_a_row() -> None:
    table = catalog.markdown_table()
    for entry in catalog.entries():
        assert entry.description.strip(), f"{entry.field} has no description in config/settings.py"
        if not entry.yaml_only:
            assert f"| `{entry.name}` |" in table


def test_every_yaml_key_is_documented_and_every_documented_key_exists() -> None:
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    section = text.split("## YAML keys", 1)[1].split("\n### ", 1)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", section, re.M)
    assert len(documented) == len(set(documented)), "a key is documented twice"
    assert set(documented) == set(catalog.yaml_keys()), (
        f"undocumented: {sorted(set(catalog.yaml_keys()) - set(documented))}; "
        f"not in the model: {sorted(set(documented) - set(catalog.yaml_keys()))}")


def test_every_setting_name_the_docs_mention_exists() -> None:
    known = catalog.documented_names()
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        mentioned = set(re.findall(r"(?<![A-Za-z0-9_])(FOLLOWTHROUGH_[A-Z0-9_]*[A-Z0-9])", text))
        unknown = {name for name in mentioned if name not in known}
        assert not unknown, f"{path.name} mentions settings that do not exist: {sorted(unknown)}"


#: The worker's own: a receiver given PROMETHEUS_MULTIPROC_DIR would count in multiprocess mode.
WORKER_ONLY = {"FOLLOWTHROUGH_METRICS_PORT", "PROMETHEUS_MULTIPROC_DIR"}


def test_compose_passes_every_setting_to_the_containers() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    for service in ("worker", "beat", "web"):
        environment = compose["services"][service]["environment"]
        # The structures come from the mounted YAML file.
        wanted = [e.name for e in catalog.entries() if not e.yaml_only
                  and (service == "worker" or e.name not in WORKER_ONLY)]
        missing = [name for name in wanted if name not in environment]
        assert not missing, f"{service}: x-app-env does not pass {missing}"


def test_yaml_keys_are_the_models_own() -> None:
    # Spot checks that the walk reaches into every structure the issue named.
    keys = set(catalog.yaml_keys())
    assert {"followup.enabled", "people[].email", "sources.github.branch", "sources.github.team",
            "sources.github.extensions", "sources.jira.jql", "sources.jira.team",
            "teams.<team>.jira.priority_map", "teams.<team>.paused"} <= keys
    assert set(Settings.model_fields) >= {"teams", "people", "sources", "followup"}
