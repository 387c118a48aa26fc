"""Enrolment statuses and the one table of allowed transitions.

Code (``Enrolment.transition``), tests and the README all read ``TRANSITIONS``; nothing else
decides which status may follow which.
"""

from __future__ import annotations

from enum import StrEnum


class EnrolmentStatus(StrEnum):
    """Where an enrolment is in its lifecycle (the snake_case names of the HTTP contract)."""

    SENDING = "sending"
    QUEUED = "queued"
    DELIVERED = "delivered"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    AUTO_MATCH = "auto_match"
    CANCELLED = "cancelled"


S = EnrolmentStatus

#: Statuses a new enrolment may start in.
INITIAL: frozenset[EnrolmentStatus] = frozenset({S.SENDING, S.QUEUED, S.AUTO_MATCH})

#: Every allowed ``(from, to)`` move. ``delivered -> failed`` is the carrier reporting, after
#: accepting a message, that it could not deliver it (Twilio's ``undelivered``/``failed``).
#: ``sending -> cancelled`` ends an enrolment whose message quiet hours still hold: it was
#: never handed to a provider.
TRANSITIONS: dict[EnrolmentStatus, frozenset[EnrolmentStatus]] = {
    S.AUTO_MATCH: frozenset({S.QUEUED, S.SENDING, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.DELIVERED, S.FAILED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.IN_PROGRESS, S.EXPIRED, S.FAILED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.EXPIRED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: Statuses only multi-module campaigns reach.
MULTI_MODULE_ONLY: frozenset[EnrolmentStatus] = frozenset({S.IN_PROGRESS, S.COMPLETED, S.EXPIRED})

#: Statuses a blast never leaves once it reaches them (``delivered`` ends a blast's campaign;
#: only a carrier's failure report can still follow it).
BLAST_DONE: frozenset[EnrolmentStatus] = frozenset({S.DELIVERED, S.FAILED, S.CANCELLED})

TERMINAL: frozenset[EnrolmentStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

#: Statuses an enrolment can still expire from: where an expiry date means something.
EXPIRABLE: frozenset[EnrolmentStatus] = frozenset(
    s for s, nxt in TRANSITIONS.items() if S.EXPIRED in nxt
)

#: Statuses in which nothing has been sent yet: withdrawal or leaving the stage cancels these.
UNSENT: frozenset[EnrolmentStatus] = frozenset({S.QUEUED, S.AUTO_MATCH})


class IllegalTransition(RuntimeError):
    """A status move that ``TRANSITIONS`` does not allow: always a bug in the caller."""

    def __init__(self, enrolment_id: str, current: EnrolmentStatus, target: EnrolmentStatus):
        super().__init__(f"enrolment {enrolment_id}: {current} -> {target} is not allowed")
        self.enrolment_id = enrolment_id
        self.current = current
        self.target = target


def can_move(current: EnrolmentStatus | None, target: EnrolmentStatus) -> bool:
    """Whether ``target`` may follow ``current`` (``None`` = the enrolment is being created)."""
    if current is None:
        return target in INITIAL
    return target in TRANSITIONS[current]


def transitions_markdown() -> str:
    """The transition table as the README shows it (a test keeps the two identical)."""
    lines = ["| from | may move to |", "|---|---|", "| *(new)* | " + _names(INITIAL) + " |"]
    lines += [f"| `{s}` | {_names(nxt) or '*(terminal)*'} |" for s, nxt in TRANSITIONS.items()]
    return "\n".join(lines)


def _names(statuses: frozenset[EnrolmentStatus]) -> str:
    order = list(EnrolmentStatus)
    return ", ".join(f"`{s}`" for s in sorted(statuses, key=order.index))


if __name__ == "__main__":
    print(transitions_markdown())
