"""Answers and knockouts in the candidate's workflow, on the time-skipping test server: answers
reach the read model with their module's completion and leave the workflow's state; a
knockout completes the campaign ``knocked_out``; an answer that comes after the expiry fired
changes nothing (expiry wins); a conversation's reply answers the question it waits on."""

from __future__ import annotations

from datetime import timedelta

from domain.campaigns import Campaign, CampaignKind, CampaignMode, CampaignModule, ModuleType
from domain.channels import ChannelKind
from domain.enrolments import StatusReason
from domain.events import CandidateReply, ModuleProgress, ProgressEvent
from domain.questions import Answer, AnswerKind, Question
from domain.statuses import EnrolmentStatus
from tests.workflows.conftest import CandidateUnderTest

S = EnrolmentStatus


def questions(mode: CampaignMode = CampaignMode.LINK, expiry: timedelta | None = None) -> Campaign:
    return Campaign(
        name="Screening",
        kind=CampaignKind.MULTI_MODULE,
        channel=ChannelKind.SMS,
        mode=mode,
        messages=["Welcome!"],
        modules=[
            CampaignModule(
                id="qs",
                name="Questions",
                type=ModuleType.QUESTION,
                questions=[
                    Question(
                        id="work",
                        prompt="Right to work?",
                        answer=AnswerKind.YES_NO,
                        knockout=["no"],
                    ),
                    Question(id="years", prompt="Years?", answer=AnswerKind.NUMBER),
                ],
            )
        ],
        expiry=expiry,
    )


def completed(
    enrolment_id: str, answers: dict[str, object], event_id: str = "p1"
) -> ModuleProgress:
    return ModuleProgress(
        event_id=event_id,
        enrolment_id=enrolment_id,
        module_id="qs",
        event=ProgressEvent.COMPLETED,
        answers=answers,  # type: ignore[arg-type]
    )


def answers_of(candidate: CandidateUnderTest, enrolment_id: str) -> list[Answer]:
    """The answers the read model was given for ``enrolment_id``."""
    entries = candidate.read_model.timeline.get(enrolment_id, {}).values()
    return [a for entry in sorted(entries, key=lambda e: e.seq) for a in entry.answers]


async def test_answers_are_projected_then_dropped_from_the_state(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(questions())).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)

    result = await candidate.progress(completed(enrolment.id, {"work": "yes", "years": 3}))

    assert result.ignored is None
    await candidate.wait_projected(enrolment.id, S.COMPLETED)
    projected = answers_of(candidate, enrolment.id)
    assert [(a.question_id, a.value) for a in projected] == [("work", "yes"), ("years", 3)]
    state = await candidate.state()
    assert all(not t.answers for t in state.enrolments[enrolment.id].unprojected)


async def test_a_knockout_answer_completes_the_campaign_knocked_out(
    candidate: CandidateUnderTest,
) -> None:
    [enrolment] = (await candidate.enter_stage(questions())).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    await candidate.progress(completed(enrolment.id, {"work": "no", "years": 1}))
    thread = await candidate.wait_status(enrolment.id, S.COMPLETED)
    assert thread.enrolments[enrolment.id].status_reason == StatusReason.KNOCKED_OUT
    assert candidate.read_model.statuses(enrolment.id)[-2:] == [S.IN_PROGRESS, S.COMPLETED]


async def test_an_answer_after_the_expiry_changes_nothing(candidate: CandidateUnderTest) -> None:
    [enrolment] = (await candidate.enter_stage(questions(expiry=timedelta(hours=1)))).enrolments
    await candidate.wait_status(enrolment.id, S.DELIVERED)
    await candidate.env.sleep(timedelta(hours=1, minutes=1))
    await candidate.wait_status(enrolment.id, S.EXPIRED)

    late = await candidate.progress(completed(enrolment.id, {"work": "yes", "years": 3}))

    assert late.ignored == "enrolment is expired"
    assert answers_of(candidate, enrolment.id) == []


async def test_a_conversation_asks_and_takes_replies(candidate: CandidateUnderTest) -> None:
    [enrolment] = (
        await candidate.enter_stage(questions(mode=CampaignMode.CONVERSATIONAL))
    ).enrolments
    await candidate.wait_status(enrolment.id, S.IN_PROGRESS)  # the first question went out
    answered = await candidate.reply(CandidateReply(event_id="r1", text="nope"))
    assert answered.outcome == "answered"
    thread = await candidate.wait_status(enrolment.id, S.COMPLETED)
    assert thread.enrolments[enrolment.id].status_reason == StatusReason.KNOCKED_OUT
    bodies = [m.body for m in candidate.channel.sent.values()]
    assert bodies[1] == "Right to work?\n(yes / no)"
    # Replayed, the same reply changes nothing.
    repeated = await candidate.reply(CandidateReply(event_id="r1", text="yes"))
    assert repeated.outcome == "repeated"
