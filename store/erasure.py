"""Erasing a candidate's personal data from the read model (GDPR art. 17).

Run by the candidate's projection, in the transaction that writes their ended enrolments,
once no message of theirs is in flight (a delivery records its message). The candidate's row
is emptied by the projection itself (``save_candidate`` with ``erased_at``); this removes the
rest: every sent message's body and recipient, every answer they gave, their pages' links, and
the candidate's name, numbers and addresses wherever a timeline detail quotes them (a
provider's refusal names the number it refused).
What stays is ids, statuses and times: what recruiters' counts and the audit need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import (
    CandidateRow,
    EnrolmentAnswerRow,
    EnrolmentEventRow,
    EnrolmentRow,
    MessageRow,
)

#: What a redacted piece of a timeline detail reads.
ERASED = "[erased]"


async def erase_personal_data(session: AsyncSession, candidate_id: str) -> None:
    """Empty the candidate's messages and redact their timeline (see the module docstring).

    Call it before the candidate's row is emptied: its details name what to redact.
    """
    contact = (
        await session.execute(
            select(CandidateRow.name, CandidateRow.phone, CandidateRow.email).where(
                CandidateRow.id == candidate_id
            )
        )
    ).one_or_none()
    recipients = await session.scalars(
        select(MessageRow.recipient).where(MessageRow.candidate_id == candidate_id).distinct()
    )
    pattern = redaction_pattern([*(contact or ()), *recipients])
    await session.execute(
        update(MessageRow)
        .where(MessageRow.candidate_id == candidate_id)
        .values(recipient="", body="")
    )
    # What they answered goes, and every page of theirs closes.
    await session.execute(
        delete(EnrolmentAnswerRow).where(EnrolmentAnswerRow.candidate_id == candidate_id)
    )
    await session.execute(
        update(EnrolmentRow).where(EnrolmentRow.candidate_id == candidate_id).values(link_hash=None)
    )
    if pattern is None:
        return
    enrolments = select(EnrolmentRow.id).where(EnrolmentRow.candidate_id == candidate_id)
    entries = await session.execute(
        select(EnrolmentEventRow.id, EnrolmentEventRow.detail).where(
            EnrolmentEventRow.enrolment_id.in_(enrolments)
        )
    )
    for entry_id, detail in entries.all():
        redacted = pattern.sub(ERASED, detail)
        if redacted != detail:
            await session.execute(
                update(EnrolmentEventRow)
                .where(EnrolmentEventRow.id == entry_id)
                .values(detail=redacted)
            )


def redaction_pattern(values: Iterable[str | None]) -> re.Pattern[str] | None:
    """A pattern matching each value (case-insensitively) and, for phone numbers, their
    digits with or without a ``+``; ``None`` when there is nothing to match."""
    terms: set[str] = set()
    for value in values:
        value = (value or "").strip()
        if len(value) < 2:
            continue
        terms.add(value)
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 6 and not re.search(r"[a-zA-Z@]", value):
            terms.update({digits, f"+{digits}"})
    if not terms:
        return None
    # Longest first: a number's ``+`` form goes before its digits.
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(alternatives, re.IGNORECASE)
