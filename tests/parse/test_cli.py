"""`followthrough parse` and `followthrough demo` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.parse.conftest import FIXTURES, REPO_ROOT


def run(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "worker", *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_json_output_is_exactly_the_documented_object() -> None:
    result = run("parse", str(FIXTURES / "markdown_gfm.md"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["title", "owner", "incident_date", "severity", "team", "action_items"]
    assert data["incident_date"] == "2024-02-12"
    first = data["action_items"][0]
    assert list(first) == [
        "title",
        "description",
        "owner",
        "due",
        "priority",
        "kind",
        "kind_raw",
        "ref",
        "done",
        "section",
        "fingerprint",
    ]
    assert first["title"] == "Add an alert on p99 checkout latency"
    assert first["due"] == "2024-03-01"
    assert first["done"] is False
    assert result.stdout.decode().count("\n") == 1


def test_table_output_and_stdin() -> None:
    data = (FIXTURES / "spanish.md").read_bytes()
    result = run("parse", "-", stdin=data)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "Validar la configuración en el pipeline de despliegue" in out
    assert "Diego Martín" in out and "2024-04-04" in out


def test_json_from_stdin() -> None:
    result = run("parse", "-", "--format", "json", stdin=(FIXTURES / "jira_wiki.txt").read_bytes())
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "Queue consumer crash loop"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.md", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: write(d / "empty.md", b""), "empty"),
        (lambda d: write(d / "blob.bin", b"\x00\x01\x02PK\x03\x04" * 50), "binary"),
        (lambda d: write(d / "big.md", b"# x\n" + b"y" * 3000), "limit"),
        (lambda d: write(d / "bad.xhtml", b"<ac:task-list><ac:task>open</ac:task-list>"), "malformed"),
        (
            lambda d: write(d / "bomb.xml", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><ac:layout>&a;</ac:layout>'),
            "entities",
        ),
        (
            lambda d: write(
                d / "xxe.html",
                b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><html><body>&e;</body></html>',
            ),
            "entities",
        ),
        (lambda d: write(d / "cut.html", b"<html><body><p>Action items</p><table><tr><td"), "malformed HTML"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    result = run("parse", str(path), env={"FOLLOWTHROUGH_MAX_DOCUMENT_BYTES": "2048"})
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "Traceback" not in err
    assert err.count("\n") == 1 and message in err
    assert result.stdout == b""


def test_bad_input_on_stdin() -> None:
    result = run("parse", "-", stdin=b"")
    assert result.returncode == 2 and "empty" in result.stderr.decode()


def test_demo_parses_every_bundled_example() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    for expected in (
        "Checkout latency incident",
        "Payments API outage",
        "Queue consumer crash loop",
        "Caída",
    ):
        assert expected in out


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_parse_over_the_time_budget_is_refused_with_exit_2(tmp_path: Path) -> None:
    doc = tmp_path / "long.md"
    rows = "".join(f"- [ ] Add alert {i} for queue {i} (@ops, due 2024-05-01)\n" for i in range(4000))
    doc.write_text("# Big\n\n## Action items\n\n" + rows, encoding="utf-8")
    result = run("parse", str(doc), env={"FOLLOWTHROUGH_PARSE_BUDGET_SECONDS": "0.01"})
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "parse budget" in stderr and "FOLLOWTHROUGH_PARSE_BUDGET_SECONDS" in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
