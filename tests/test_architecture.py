"""The house rules a reviewer would otherwise check by hand: layers, the store's boundary, function size.

- The import contracts in pyproject.toml ([tool.importlinter]): layers point down, only worker/store/
  imports the ORM rows, and no import circles between the packages of worker/, connectors/ and config/.
- No function above cyclomatic complexity 20 (radon's measure) or longer than 80 lines, migrations aside.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from radon.complexity import add_inner_blocks, cc_visit
from radon.visitors import Function

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("worker", "connectors", "config", "tests", "bench")
MAX_COMPLEXITY = 20
MAX_LINES = 80


def _sources() -> Iterator[Path]:
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_function_above_complexity_20() -> None:
    over = [f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname} ({block.complexity})"
            for path in _sources() for block in add_inner_blocks(cc_visit(path.read_text(encoding="utf-8")))
            if isinstance(block, Function) and block.complexity > MAX_COMPLEXITY]
    assert over == []


def test_no_function_longer_than_80_lines() -> None:
    long: list[str] = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []
