"""Only `worker/store/` may import the ORM row classes (`worker.store.models`).

Every other module reads and writes the store through store modules that hand out plain records, so a
change of tables touches one folder. This walks the import statements of every module in the shipped
packages (worker, connectors, config); the lead may fold it into an import-linter contract.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("worker", "connectors", "config")
STORE = ROOT / "worker" / "store"
MODELS = "worker.store.models"


def _imports(path: Path) -> set[str]:
    """Every module name an import statement in `path` names (`from a import b` gives a and a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offenders(root: Path = ROOT) -> list[str]:
    """Modules outside worker/store that import the ORM rows, as paths relative to `root`."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if path.is_relative_to(root / "worker" / "store"):
                continue
            if any(name == MODELS or name.startswith(MODELS + ".") for name in _imports(path)):
                found.append(str(path.relative_to(root)))
    return found


def test_only_the_store_imports_the_orm_rows() -> None:
    assert offenders() == []


def test_the_check_sees_an_offender(tmp_path: Path) -> None:
    # A check that can never fail asserts nothing: plant one offender of each import form.
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "worker" / "one.py").write_text("from worker.store.models import ActionItemRow\n")
    (tmp_path / "connectors" / "two.py").write_text("import worker.store.models as rows\n")
    (tmp_path / "config" / "three.py").write_text("from worker.store import models\n")
    (tmp_path / "worker" / "store").mkdir()
    (tmp_path / "worker" / "store" / "fine.py").write_text("from worker.store.models import ActionItemRow\n")
    assert offenders(tmp_path) == ["worker/one.py", "connectors/two.py", "config/three.py"]
