"""An interviewer's calendar decides who holds a slot: one interview per slot, a repeat
gets the same interview, cancelling frees the time, and the state forgets what is past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.interviewer_calendar import InterviewerCalendar
from domain.interviews import (
    Availability,
    BookingRequest,
    InterviewChange,
    InterviewStatus,
    Reschedule,
    Waiting,
)
from domain.slots import Interval, SlotRules

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
RULES = SlotRules(duration=timedelta(minutes=30), min_notice=timedelta(0))


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def calendar() -> InterviewerCalendar:
    cal = InterviewerCalendar(interviewer_id="ana")
    cal.set_availability(Availability(windows=[Interval(start=at(9), end=at(11))]), NOW)
    return cal


def request(enrolment: str, start: datetime, module: str = "book") -> BookingRequest:
    return BookingRequest(
        enrolment_id=enrolment,
        candidate_id=f"cand-{enrolment}",
        job_id="job",
        stage_id="interview",
        module_id=module,
        start=start,
        rules=RULES,
    )


def test_two_candidates_never_hold_one_slot() -> None:
    cal = calendar()
    first = cal.book(request("e1", at(9)), NOW)
    second = cal.book(request("e2", at(9)), NOW)
    overlapping = cal.book(request("e3", at(9, 15)), NOW)
    assert first.interview is not None and first.interview.end == at(9, 30)
    assert second.refused == "slot_taken" and overlapping.refused == "slot_taken"
    assert [s.start for s in cal.free_slots(RULES, NOW)][:2] == [at(9, 30), at(9, 45)]


def test_a_repeated_request_gets_the_same_interview_and_another_start_is_refused() -> None:
    cal = calendar()
    first = cal.book(request("e1", at(9)), NOW)
    version = cal.version
    again = cal.book(request("e1", at(9)), NOW)
    elsewhere = cal.book(request("e1", at(10)), NOW)
    assert again.interview == first.interview and cal.version == version
    assert elsewhere.refused == "already_booked"


def test_a_slot_outside_the_windows_or_off_the_quarter_hours_is_not_given() -> None:
    cal = calendar()
    assert cal.book(request("e1", at(12)), NOW).refused == "slot_taken"
    assert cal.book(request("e1", at(9, 5)), NOW).refused == "slot_taken"


def test_cancelling_frees_the_slot_and_raises_the_sequence() -> None:
    cal = calendar()
    booked = cal.book(request("e1", at(9)), NOW).interview
    assert booked is not None
    cancelled = cal.change(InterviewChange(interview_id=booked.id, status="cancelled"), NOW)
    assert cancelled.interview is not None
    assert cancelled.interview.status is InterviewStatus.CANCELLED
    assert cancelled.interview.sequence == booked.sequence + 1
    assert cal.book(request("e2", at(9)), NOW).interview is not None


def test_a_no_show_is_marked_once_the_interview_began() -> None:
    cal = calendar()
    booked = cal.book(request("e1", at(9)), NOW).interview
    assert booked is not None
    change = InterviewChange(interview_id=booked.id, status="no_show")
    assert cal.change(change, NOW).refused == "not_started"
    marked = cal.change(change, at(9, 10))
    assert marked.refused is None and marked.interview is not None
    assert marked.interview.status is InterviewStatus.NO_SHOW
    assert cal.change(change, at(9, 20)).interview == marked.interview  # a repeat


def test_availability_is_replaced_or_added_and_the_past_forgotten() -> None:
    cal = calendar()
    cal.set_availability(
        Availability(windows=[Interval(start=at(13), end=at(14))], replace=False), NOW
    )
    assert [w.start for w in cal.windows] == [at(9), at(13)]
    cal.set_availability(Availability(windows=[Interval(start=at(15), end=at(16))]), NOW)
    assert [w.start for w in cal.windows] == [at(15)]
    booked = cal.book(request("e1", at(15)), NOW).interview
    assert booked is not None
    cal.forget_the_past(at(16, day=4))
    assert cal.windows == [] and cal.interviews == {}


def test_the_read_model_is_given_each_interview_once_changed() -> None:
    cal = calendar()
    cal.projected_version = cal.version
    booked = cal.book(request("e1", at(9)), NOW).interview
    assert [i.id for i in cal.unprojected()] == [booked.id if booked else None]
    cal.projected_version = cal.version
    assert cal.unprojected() == [] and cal.projected


def move(interview_id: str, start: datetime, notice: timedelta = timedelta(0)) -> Reschedule:
    rules = SlotRules(duration=timedelta(minutes=30), min_notice=notice)
    return Reschedule(interview_id=interview_id, start=start, rules=rules)


def test_a_candidate_moves_their_interview_twice_into_free_time_only() -> None:
    cal = calendar()
    mine = cal.book(request("e1", at(9)), NOW).interview
    theirs = cal.book(request("e2", at(10)), NOW).interview
    assert mine is not None and theirs is not None
    assert cal.reschedule(move(mine.id, at(10, 15)), NOW).refused == "slot_taken"
    # Its own time is free to it: 09:15 overlaps only itself.
    first = cal.reschedule(move(mine.id, at(9, 15)), NOW).interview
    assert first is not None and (first.start, first.sequence, first.changes) == (at(9, 15), 1, 1)
    assert cal.reschedule(move(mine.id, at(9, 15)), NOW).interview == first  # a repeat
    second = cal.reschedule(move(mine.id, at(10, 30)), NOW).interview
    assert second is not None and second.changes == 2 and second.id == mine.id
    assert cal.reschedule(move(mine.id, at(9)), NOW).refused == "too_many_changes"
    assert [s.start for s in cal.free_slots(RULES, NOW)][:3] == [at(9), at(9, 15), at(9, 30)]


def test_inside_the_minimum_notice_the_candidate_can_neither_move_nor_cancel() -> None:
    cal = calendar()
    mine = cal.book(request("e1", at(10)), NOW).interview
    assert mine is not None
    late = at(9, 30)
    assert cal.reschedule(move(mine.id, at(9), timedelta(hours=1)), late).refused == "too_late"
    cancel = InterviewChange(
        interview_id=mine.id, status="cancelled", candidate_notice=timedelta(hours=1)
    )
    assert cal.change(cancel, late).refused == "too_late"
    in_time = cal.change(cancel, at(8, 59)).interview
    assert in_time is not None and in_time.status is InterviewStatus.CANCELLED


def test_a_release_goes_a_batch_at_a_time_and_what_is_left_is_state() -> None:
    cal = calendar()
    assert cal.release_due
    waiting = [
        Waiting(job_id="j", stage_id="a", candidate_ids=["c1", "c2", "c3"]),
        Waiting(job_id="j", stage_id="b", candidate_ids=["c4"]),
        Waiting(job_id="j", stage_id="c", candidate_ids=[]),
    ]
    cal.start_release(waiting, NOW)
    assert not cal.release_due and len(cal.releasing) == 2
    assert cal.release_batch(2) == [("j", "a", "c1"), ("j", "a", "c2")]
    cal.released(2)
    carried = InterviewerCalendar.model_validate(cal.model_dump(mode="json"))  # continue-as-new
    assert carried.release_batch(5) == [("j", "a", "c3"), ("j", "b", "c4")]
    assert carried.release_event("j", "a", NOW) == cal.release_event("j", "a", NOW)
    carried.released(2)
    assert carried.releasing == [] and carried.release_batch(5) == []
