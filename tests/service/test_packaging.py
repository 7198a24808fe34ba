"""Packaging and the image, checked without Docker: ranges, extras, the constraints file, the Dockerfile."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DEPENDENCIES = [Requirement(text) for text in PROJECT["dependencies"]]
EXTRAS = {name: [Requirement(text) for text in values]
          for name, values in PROJECT["optional-dependencies"].items()}
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PACKAGES = ("worker", "connectors", "config")


def _names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(req.name) for req in requirements}


def _constraints() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _imported_top_level(folders: tuple[str, ...]) -> set[str]:
    modules: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("name", ["jira", "pygithub", "celery", "kombu"])
def test_vendor_libraries_have_compatible_ranges_not_pins(name: str) -> None:
    (requirement,) = [req for req in DEPENDENCIES if canonicalize_name(req.name) == name]
    operators = {spec.operator for spec in requirement.specifier}
    assert "==" not in operators and "===" not in operators
    assert ">=" in operators and "<" in operators, f"{name}: give a floor and the next major as ceiling"


def test_constraints_pin_every_dependency_within_its_range() -> None:
    pins = _constraints()
    every = DEPENDENCIES + [req for values in EXTRAS.values() for req in values]
    for requirement in every:
        name = canonicalize_name(requirement.name)
        if name == "followthrough":
            continue
        assert name in pins, f"constraints.txt has no pin for {name}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_unused_and_test_only_libraries_are_not_runtime_dependencies() -> None:
    runtime = _names(DEPENDENCIES)
    imported = _imported_top_level(PACKAGES)
    assert "beautifulsoup4" not in runtime and "bs4" not in imported
    # httpx arrives with notion-client (its transport): only the Notion connector names it, to map its
    # transport errors; it is still no direct runtime dependency.
    httpx_users = {path.relative_to(ROOT).as_posix() for folder in PACKAGES
                   for path in (ROOT / folder).rglob("*.py") if "import httpx" in path.read_text()}
    assert "httpx" not in runtime and httpx_users <= {"connectors/sources/notion.py"}
    assert "httpx" in _names(EXTRAS["dev"])  # Starlette's TestClient
    # beautifulsoup4 arrives only with atlassian-python-api (the Confluence source), which requires it; it
    # is pinned for that, and still neither a direct dependency nor imported by our code.
    from importlib.metadata import requires

    needed_by_atlassian = "beautifulsoup4" in (requires("atlassian-python-api") or [])
    assert "beautifulsoup4" not in _constraints() or needed_by_atlassian


def test_psycopg_is_the_postgres_extra_and_the_suite_and_image_get_it() -> None:
    assert "psycopg" not in _names(DEPENDENCIES)
    assert _names(EXTRAS["postgres"]) == {"psycopg"}
    assert any(req.name == "followthrough" and "postgres" in req.extras for req in EXTRAS["dev"])
    install = re.search(r"pip install (?:-c constraints\.txt )?'\.\[([\w,]+)\]'", DOCKERFILE)
    assert install is not None and "postgres" in install.group(1).split(",")


def test_sentry_is_an_extra_imported_only_in_its_module() -> None:
    assert "sentry-sdk" not in _names(DEPENDENCIES)
    assert _names(EXTRAS["sentry"]) == {"sentry-sdk"}
    users = [path for folder in PACKAGES for path in (ROOT / folder).rglob("*.py")
             if "sentry_sdk" in path.read_text()]
    assert users == [ROOT / "config" / "sentry.py"]


def test_ci_and_readme_install_with_the_constraints() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert "-c constraints.txt" in ci
    assert f"```\n{ci}\n```" in (ROOT / "README.md").read_text()
    assert "COPY pyproject.toml README.md constraints.txt" in DOCKERFILE
    assert "pip install -c constraints.txt" in DOCKERFILE


def test_image_runs_as_a_user_with_a_healthcheck_and_fresh_pip() -> None:
    lines = [line.strip() for line in DOCKERFILE.splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert "/healthz" in DOCKERFILE
    assert re.search(r"pip install --upgrade pip setuptools", DOCKERFILE)
    # `serve` takes its address from HOST and PORT, which the image sets.
    assert re.search(r"ENV HOST=0\.0\.0\.0", DOCKERFILE) and "PORT=8000" in DOCKERFILE
    assert lines[-1] == 'CMD ["followthrough", "serve"]'


def test_dockerignore_keeps_secrets_and_bulk_out_of_the_build_context() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".env", "tests", "*.db"} <= ignored
    for needed in ("pyproject.toml", "README.md", "constraints.txt", "config", "connectors", "worker"):
        assert needed not in ignored


def test_compose_header_names_only_files_that_exist() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    copies = [line.split() for line in header if " cp " in f" {line.lstrip('# ')}"]
    assert copies, "the header shows where followthrough.yaml comes from"
    for words in copies:
        source = words[words.index("cp") + 1]
        assert (ROOT / source).is_file(), f"the compose header names a missing file: {source}"
    assert "followthrough.example.yaml" not in text


def test_compose_workers_expose_their_metrics() -> None:
    worker = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]
    env = worker["environment"]
    assert env["PROMETHEUS_MULTIPROC_DIR"] in worker["tmpfs"]
    assert str(env["FOLLOWTHROUGH_METRICS_PORT"]) in [str(port) for port in worker["expose"]]
    assert "env -u PROMETHEUS_MULTIPROC_DIR" in " ".join(worker["healthcheck"]["test"])


def test_a_postgresql_store_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from worker.errors import UserError
    from worker.store import Store

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were not installed
    with pytest.raises(UserError, match=r"pip install 'followthrough\[postgres\]'") as caught:
        Store("postgresql://ft:pw@127.0.0.1:5432/ft")
    assert "pw@" not in str(caught.value)


@pytest.mark.parametrize("document", ["README.md", "docs/service.md"])
def test_documented_scrape_config_matches_compose(document: str) -> None:
    text = (ROOT / document).read_text()
    block = re.search(r"```(?:yaml)?\n(scrape_configs:.*?)```", text, re.S)
    assert block is not None, f"{document} has no Prometheus scrape configuration"
    jobs = {job["job_name"]: job for job in yaml.safe_load(block.group(1))["scrape_configs"]}
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker_port = int(services["worker"]["environment"]["FOLLOWTHROUGH_METRICS_PORT"])
    assert jobs["followthrough-worker"]["dns_sd_configs"][0]["port"] == worker_port
    assert jobs["followthrough-worker"]["dns_sd_configs"][0]["names"] == ["worker"]
    web_command = services["web"]["command"]
    web_port = web_command[web_command.index("--port") + 1]
    assert jobs["followthrough-web"]["static_configs"][0]["targets"] == [f"web:{web_port}"]
