"""Read-your-writes after a signal: answer once the read model shows what the signal did.

Signals are applied asynchronously. After sending one, the edge asks the workflow (the
``state`` query sees every signal sent before it) which sequence number each affected
enrolment has reached, then waits, bounded, until the read model has caught up. A signal the
workflow ignored changes no sequence number and costs no wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bridge import CandidateBridge
from domain.enrolments import Enrolment
from store.schema import EnrolmentRow

#: How long an answer may wait for the read model before returning anyway.
SETTLE_SECONDS = 5.0


async def settle_after_signal(
    bridge: CandidateBridge,
    session: AsyncSession,
    candidate_id: str,
    affected: Callable[[Enrolment], bool],
) -> None:
    """Wait until the read model holds the workflow's current state of the affected enrolments."""
    thread = await bridge.state(candidate_id)
    if thread is None:
        return
    targets = {e.id: e.seq for e in thread.enrolments.values() if affected(e)}
    if not targets:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        # A fresh session per look: a request's session may keep reading an older snapshot.
        async with AsyncSession(session.bind) as fresh:
            rows = await fresh.execute(
                select(EnrolmentRow.id, EnrolmentRow.seq).where(EnrolmentRow.id.in_(targets))
            )
            projected = {eid: seq for eid, seq in rows}
        if all(projected.get(eid, 0) >= seq for eid, seq in targets.items()):
            return
        await asyncio.sleep(0.05)
