"""Property: ATS events about a candidate's applications may arrive in any order, repeated and
interleaved with sends; each application still ends where the in-order run leaves it, and a
withdrawal stays final against every older event.

Hypothesis writes a history (events in the order they happened), runs it in order, then runs a
shuffled copy with repeats and sends going out at random points, and compares every
application: whether it is shown, withdrawn, its job and stage, and the campaign it is live in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.campaigns import Campaign
from domain.enrolments import Enrolment
from domain.events import ApplicationRef, ApplicationWithdrawn, EnrolRequest
from domain.statuses import EnrolmentStatus
from domain.thread import CandidateThread
from tests.domain.factories import INTERVIEW, REJECTION, SCREENING, START, candidate, new_thread

S = EnrolmentStatus

#: Each stage's campaign, as a job configures it (``None``: no campaign).
STAGE_CAMPAIGNS: dict[str, Campaign | None] = {
    "applied": None,
    "screen": SCREENING,
    "interview": INTERVIEW,
    "rejected": REJECTION,
}
JOBS = {"app-1": "job-1", "app-2": "job-1", "app-3": "job-2"}

AtsEvent = EnrolRequest | ApplicationWithdrawn


@dataclass(frozen=True)
class Outcome:
    """Where an application ended, as a recruiter would see it."""

    placed: bool
    withdrawn: bool
    stage: tuple[str, str]
    live_campaign: str | None


@st.composite
def histories(draw: st.DrawFn) -> list[AtsEvent]:
    """ATS events in the order they happened (some at the same moment: then id order)."""
    events: list[AtsEvent] = []
    stages: dict[str, str] = {}
    minute = 0
    for n in range(draw(st.integers(1, 14))):
        minute += draw(st.sampled_from([0, 1, 1, 5]))
        at = START + timedelta(minutes=minute)
        app = draw(st.sampled_from(list(JOBS)))
        if draw(st.integers(0, 3)) == 0:
            where = ApplicationRef(id=app, job_id=JOBS[app], stage_id=stages.get(app, "applied"))
            events.append(
                ApplicationWithdrawn(
                    event_id=f"evt-{n:03}", application_id=app, occurred_at=at, application=where
                )
            )
            continue
        stage = draw(st.sampled_from(list(STAGE_CAMPAIGNS)))
        stages[app] = stage
        campaign = STAGE_CAMPAIGNS[stage]
        events.append(
            EnrolRequest(
                event_id=f"evt-{n:03}",
                occurred_at=at,
                application=ApplicationRef(id=app, job_id=JOBS[app], stage_id=stage),
                candidate=candidate(),
                campaign_id=None if campaign is None else stage,
                campaign=campaign,
                auto_match=False,
            )
        )
    return events


def apply(thread: CandidateThread, event: AtsEvent) -> None:
    now = START + timedelta(days=1)
    if isinstance(event, EnrolRequest):
        thread.enrol(event, now)
    else:
        thread.withdraw(event, now)


def send_everything(thread: CandidateThread) -> None:
    """The channel accepts every message waiting, and those the thread then releases."""
    while thread.pending_sends:
        thread.record_sent(thread.pending_sends[0], START + timedelta(days=1))


def active(enrolment: Enrolment) -> bool:
    """Waiting for, or holding, the candidate's thread."""
    return enrolment.status in (S.QUEUED, S.AUTO_MATCH, S.SENDING) or (
        not enrolment.campaign.is_blast and enrolment.status in (S.DELIVERED, S.IN_PROGRESS)
    )


def outcomes(thread: CandidateThread) -> dict[str, Outcome]:
    ends = {}
    for app in thread.applications.values():
        current = thread.enrolments.get(app.current_enrolment_id or "")
        live = (
            current is not None
            and not app.withdrawn
            and not current.is_terminal
            and current.cancel_requested is None
        )
        ends[app.id] = Outcome(
            placed=app.placed,
            withdrawn=app.withdrawn,
            stage=(app.job_id, app.stage_id),
            live_campaign=current.campaign_id if live and current is not None else None,
        )
        if app.withdrawn:
            assert not any(
                active(e) for e in thread.enrolments.values() if e.application_id == app.id
            ), f"{app.id} is withdrawn but still has a campaign waiting or running"
    return ends


@settings(max_examples=300, deadline=None)
@given(data=st.data(), history=histories())
def test_events_in_any_order_end_where_the_in_order_run_ends(
    data: st.DataObject, history: list[AtsEvent]
) -> None:
    in_order = new_thread()
    for event in history:
        apply(in_order, event)
        send_everything(in_order)

    arriving = data.draw(st.permutations(history), label="arrival order")
    repeats = data.draw(st.lists(st.sampled_from(history), max_size=6), label="repeats")
    for repeat in repeats:
        arriving.insert(data.draw(st.integers(0, len(arriving)), label="at"), repeat)
    shuffled = new_thread()
    for event in arriving:
        apply(shuffled, event)
        if data.draw(st.booleans(), label="sends go out now"):
            send_everything(shuffled)
    send_everything(shuffled)

    assert outcomes(shuffled) == outcomes(in_order)


@settings(max_examples=200, deadline=None)
@given(history=histories(), data=st.data())
def test_a_withdrawal_is_final_against_every_older_event(
    history: list[AtsEvent], data: st.DataObject
) -> None:
    thread = new_thread()
    withdrawals = [e for e in history if isinstance(e, ApplicationWithdrawn)]
    if not withdrawals:
        return
    last = withdrawals[-1]
    older = [
        e
        for e in history[: history.index(last)]
        if (e.application.id if isinstance(e, EnrolRequest) else e.application_id)
        == last.application_id
    ]
    apply(thread, last)
    for event in data.draw(st.permutations(older), label="older events, late"):
        apply(thread, event)
        send_everything(thread)

    state = thread.applications[last.application_id]
    assert state.withdrawn
    assert not any(e.application_id == last.application_id for e in thread.enrolments.values())
