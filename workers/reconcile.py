"""``enrolments reconcile``: compare every candidate workflow with the read model, repair drift
(``services.reconcile``), and print what was found and done."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client

from config.settings import Settings
from services.drift import DriftKind, DriftReport, ReconcileResult
from services.reconcile import (
    DEFAULT_WAIT,
    QUERY_CONCURRENCY,
    ReconcileError,
    reconcile,
)
from store.database import create_engine

#: How many differences the report prints.
DEFAULT_SHOWN = 20


def render(result: ReconcileResult, *, shown: int = DEFAULT_SHOWN) -> str:
    """The report ``enrolments reconcile`` prints: counts, then the first ``shown`` differences."""
    found = result.found
    where = f"task queue {result.task_queue}" if result.task_queue else "every task queue"
    lines = [
        f"Checked {found.workflows} candidate workflow(s) on {where}: "
        f"{found.enrolments} enrolment(s), {len(found.drifts)} drifting, "
        f"{found.in_flight} in flight, {len(found.unanswered)} workflow(s) unanswered.",
    ]
    lines += _report_lines(found, shown)
    if result.fix:
        after = result.after_fix
        if after is None or result.resync_event_id is None:
            lines.append("Nothing to repair.")
        else:
            if result.marked_stale:
                lines.append(
                    f"Marked {result.marked_stale} row(s) altered at their own seq as stale."
                )
            lines.append(
                f"Asked {len(result.resynced)} workflow(s) to project their enrolments again "
                f"(signal resync_read_model, event {result.resync_event_id}); "
                f"checked them again for {result.waited_seconds:.1f}s."
            )
            if result.converged:
                lines.append(
                    f"Converged: all {after.enrolments} enrolment(s) of the repaired workflows "
                    "agree with the read model."
                )
            else:
                lines.append(
                    f"Still drifting: {len(after.drifts)} enrolment(s), {after.in_flight} in "
                    f"flight, {len(after.unanswered)} workflow(s) unanswered."
                )
                lines += _report_lines(after, shown)
    elif found.drifts:
        lines.append("Run with --fix to ask the drifting workflows to project again.")
    return "\n".join(lines)


def _report_lines(report: DriftReport, shown: int) -> list[str]:
    lines = []
    if report.drifts:
        width = max(len(kind.value) for kind in DriftKind)
        lines += [f"  {kind.value:<{width}}  {n}" for kind, n in report.counts.items()]
        first = report.drifts[:shown]
        lines.append(f"First {len(first)} of {len(report.drifts)} difference(s):")
        lines += [f"  {drift.describe()}" for drift in first]
    if report.unanswered:
        names = ", ".join(report.unanswered[:shown])
        more = len(report.unanswered) - shown
        lines.append(f"Unanswered: {names}" + (f" and {more} more" if more > 0 else ""))
    return lines


async def run_reconcile(
    settings: Settings,
    client: Client,
    *,
    fix: bool,
    wait: timedelta = DEFAULT_WAIT,
    shown: int = DEFAULT_SHOWN,
    concurrency: int = QUERY_CONCURRENCY,
) -> int:
    """What ``enrolments reconcile`` does: check (and with ``fix`` repair), print, exit code.

    Compares the workflows on ``settings.task_queue`` with the read model at
    ``settings.database_url``. Returns 0 when they agree (after the repair), 1 otherwise;
    raises ``ReconcileError`` when either side cannot be read.
    """
    if concurrency < 1 or shown < 0 or wait < timedelta(0):
        raise ReconcileError("--concurrency must be at least 1, --show and --wait at least 0")
    engine = create_engine(settings.database_url)
    try:
        result = await reconcile(
            client,
            engine,
            task_queue=settings.task_queue,
            fix=fix,
            wait=wait,
            concurrency=concurrency,
        )
    finally:
        await engine.dispose()
    print(render(result, shown=shown), flush=True)
    return result.exit_code
