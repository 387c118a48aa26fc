"""The layout is the architecture: imports point inward, SQL lives in ``store/`` only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("domain", "workflows", "activities", "channels", "store", "api", "workers", "config")
#: What each package may import of ours (``domain`` nothing: it is the pure core).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "workflows": {"domain", "activities", "channels"},
    "activities": {"domain", "channels", "store", "config"},
    "channels": {"domain", "store", "config"},
    "store": {"domain", "channels"},
    "config": {"domain"},
    "bridges": {"domain"},
}
#: SQLAlchemy names that build statements: only ``store/`` may use them.
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "func", "and_", "or_"}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    """``(module, names)`` of every import in ``path``, including function-level ones."""
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, {alias.name for alias in node.names}))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, set()) for alias in node.names)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_inward(package: str) -> None:
    outward = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _modules(package)
        for module, _ in _imports(path)
        if (top := module.split(".")[0]) in OURS
        and top != package
        and top not in ALLOWED[package]
        and "migrations" not in path.parts
    ]
    assert not outward, outward


def test_sql_is_built_in_store_only() -> None:
    outside = [
        f"{path.relative_to(ROOT)} builds SQL ({', '.join(sorted(names & SQL_BUILDERS))})"
        for package in OURS
        if package != "store"
        for path in _modules(package)
        for module, names in _imports(path)
        if module.split(".")[0] == "sqlalchemy" and names & SQL_BUILDERS
    ]
    assert not outside, outside
