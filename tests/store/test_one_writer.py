"""One writer per table (DESIGN.md, decision 7): each table is written by the one module the
table's docstring in ``store/schema.py`` names. Two kinds of repair may touch another's rows,
and only the columns they say: erasure blanks personal data everywhere (``store.erasure``, in
the candidate's own projection), and ``reconcile`` marks a drifted row stale (``store.drift``:
its ``seq`` only, so the workflow's resync rewrites it).

The statements that write are found in the code (``insert``/``update``/``delete`` of a table,
a row constructed for ``session.add``), so a second writer fails this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

from store.schema import Base

ROOT = Path(__file__).resolve().parents[2]
WRITES = {"insert", "update", "delete", "dialect_insert"}

#: Each table's writer, and the repairs that may touch it.
WRITERS: dict[str, set[str]] = {
    "campaigns": {"store/catalog.py"},
    "jobs": {"store/catalog.py"},
    "stages": {"store/catalog.py"},
    "candidates": {"store/candidates.py"},
    "applications": {"store/projection.py", "store/drift.py"},
    "enrolments": {"store/projection.py", "store/drift.py", "store/erasure.py"},
    "enrolment_modules": {"store/projection.py"},
    "enrolment_answers": {"store/projection.py", "store/erasure.py"},
    "enrolment_events": {"store/projection.py", "store/erasure.py"},
    "messages": {"store/messages.py", "store/erasure.py"},
    "delivery_reports": {"store/delivery_reports.py"},
    "provider_health": {"store/provider_health.py"},
    "inbound_events": {"store/inbound.py"},
    "opt_outs": {"store/opt_outs.py"},
    "api_keys": {"store/access.py"},
    "audit_log": {"store/access.py"},
    "interviewers": {"store/interviewers.py"},
    "interviewer_calendars": {"store/calendars.py"},
    "interviews": {"store/calendars.py"},
    "invitation_sends": {"store/invitations.py"},
    "writebacks": {"store/writebacks.py"},
}
TABLE_OF = {mapper.class_.__name__: mapper.local_table.name for mapper in Base.registry.mappers}


def _written_tables(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    # Module-level aliases of a row's table: ``_MESSAGES = cast(Table, MessageRow.__table__)``.
    aliases: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            for inner in ast.walk(node.value):
                if (
                    isinstance(target, ast.Name)
                    and isinstance(inner, ast.Attribute)
                    and inner.attr == "__table__"
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id in TABLE_OF
                ):
                    aliases[target.id] = TABLE_OF[inner.value.id]
    written: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name in TABLE_OF:
            written.add(TABLE_OF[name])  # a row made here, for ``session.add``
        if name in WRITES:
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in TABLE_OF:
                    written.add(TABLE_OF[arg.id])
                elif isinstance(arg, ast.Name) and arg.id in aliases:
                    written.add(aliases[arg.id])
    return written


def test_every_table_has_its_one_writer_and_no_other() -> None:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "store").glob("*.py")):
        if path.name == "schema.py":
            continue
        for table in _written_tables(path):
            found.setdefault(table, set()).add(str(path.relative_to(ROOT)))
    assert set(WRITERS) == set(Base.metadata.tables), "a table without a declared writer"
    strays = {table: found[table] - WRITERS[table] for table in found}
    assert {t: w for t, w in strays.items() if w} == {}


def test_nothing_outside_store_writes_sql() -> None:
    """Only ``store/`` builds statements (``tests/test_layout.py`` checks the imports): so the
    writers above are every writer there is."""
    outside = [
        f"{path.relative_to(ROOT)} writes {sorted(tables)}"
        for package in ("api", "services", "channels", "activities", "workflows", "workers")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (tables := _written_tables(path))
    ]
    assert outside == []
