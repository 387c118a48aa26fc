"""The layout is the architecture: imports point inward, SQL lives in ``store/`` only, each
package says what it holds and who may import it, and every module keeps to one concern
(under 400 lines, functions under 60 unless a comment says why)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = (
    "domain",
    "workflows",
    "activities",
    "channels",
    "store",
    "api",
    "workers",
    "config",
    "bridges",
    "services",
    "bench",
)
#: What each package may import of ours (``domain`` nothing: it is the pure core). The HTTP
#: edge reaches workflows through ``services`` only; nothing but ``bench`` imports the tests.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "config": {"domain"},
    "store": {"domain"},
    "workflows": {"domain", "activities"},
    "activities": {"domain", "channels", "bridges", "store", "config"},
    "channels": {"domain", "store", "config"},
    "bridges": {"domain", "config"},
    "services": {"domain", "workflows", "store", "channels", "bridges", "config"},
    "api": {"domain", "services", "store", "channels", "bridges", "config"},
    "workers": set(OURS) - {"bench"},
    "bench": set(OURS) | {"tests"},
}
#: The longest module and function (in lines) outside the tests; a longer function says why
#: in a comment starting with ``# long:`` right above its ``def``.
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Modules outside ``store/`` that may build SQL, and why.
SQL_ELSEWHERE = {
    "bench/read_model_seed.py": "fabricates a 100,000-application read model in bulk for the "
    "views benchmark, in a database of its own",
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
        if (top := module.split(".")[0]) in (*OURS, "tests")
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
        if module.split(".")[0] == "sqlalchemy"
        and names & SQL_BUILDERS
        and str(path.relative_to(ROOT)) not in SQL_ELSEWHERE
    ]
    assert not outside, outside


def test_each_package_says_what_lives_there_and_who_may_import_it() -> None:
    silent = [
        package
        for package in OURS
        if "May import"
        not in (ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or "")
    ]
    assert not silent, f"packages whose __init__ docstring says not who they may import: {silent}"


def _source_modules() -> list[Path]:
    return [p for package in OURS for p in _modules(package) if "migrations" not in p.parts]


def test_every_module_keeps_to_one_concern() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in _source_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, long


def test_every_long_function_says_why() -> None:
    unexplained = []
    for path in _source_modules():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines), str(path))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            above = lines[first - 2].strip() if first >= 2 else ""
            if length > MAX_FUNCTION_LINES and not above.startswith("# long:"):
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length})")
    assert not unexplained, unexplained
