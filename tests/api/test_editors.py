"""The campaign and job editors over HTTP, as an admin's browser posts them: every problem at
once on its field, in a recruiter's words; only the fields of the chosen kind and channel are
saved; a stored campaign or job comes back into the editor exactly as it was; recruiters read
the editors without a way to save; a campaign no stage links can be deleted, one a stage links
cannot, however a job save and a delete race."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from domain.access import Role
from store.access import ApiKeys
from store.database import session_factory
from tests.api.conftest import Stack, blast_campaign, multi_module_campaign

pytestmark = pytest.mark.devserver

Form = dict[str, list[str]]


def as_form(pairs: list[tuple[str, str]]) -> Form:
    """Fields as a browser posts them (each name's values in the page's order)."""
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


def campaign_form(campaign_id: str, **fields: Any) -> Form:
    """A campaign editor's post: ``fields`` as the page names them (lists for rows)."""
    base: dict[str, Any] = {
        "stored": "no",
        "campaign_id": campaign_id,
        "name": "Screening",
        "kind": "multi_module",
        "channel": "sms",
        "welcome": "Hi {first_name}",
        "module_id": [""],
        "module_name": ["Availability"],
        "module_type": ["question"],
        "quiet_hours": "on",
    }
    base.update(fields)
    return {name: value if isinstance(value, list) else [value] for name, value in base.items()}


def problems(page: str) -> dict[str, list[str]]:
    """Each field's problems as the page shows them next to it (``error-<field>``)."""
    line = r'<span class="problem">([^<]*)</span>'
    lines = r'(?:<span class="problem">[^<]*</span>)+'
    field = rf'<span class="field-error" id="error-([\w-]+)">({lines})</span>'
    return {key: re.findall(line, messages) for key, messages in re.findall(field, page)}


async def test_every_problem_of_a_campaign_shows_at_once_on_its_field(stack: Stack) -> None:
    campaign_id = stack.id("all-at-once")
    form = campaign_form(
        campaign_id,
        name="",
        welcome="Hi {nope}",
        closing=["", "Bye {"],
        module_id=["", "availability", ""],
        module_name=["Availability", "Again", ""],
        module_type=["question", "question", "question"],
        expiry="400d",
        nudges_after="2h, 1h",
        nudges_message="Still there, {first_name}?",
    )
    answer = await stack.http.post("/ui/campaigns", data=form)

    assert answer.status_code == 422
    assert problems(answer.text) == {
        "name": ["Fill this in."],
        "welcome": ["{nope} is not a placeholder: use the buttons above to insert one."],
        "module-1": ["Another module has the id &#39;availability&#39;: ids differ."],
        "closing-1": ["A lone &#39;{&#39;: write {{ to show a brace, or insert a placeholder."],
        "expiry": ["A duration may be at most P366D."],
        "nudges_after": ["Nudge offsets must grow: each one later than the one before."],
    }
    assert "7 problems to fix" not in answer.text and "6 problems to fix" in answer.text
    # What was typed stays in the form.
    assert "Still there, {first_name}?" in answer.text
    missing = await stack.http.get(f"/campaigns/{campaign_id}")
    assert missing.status_code == 404


async def test_whatsapp_template_problems_sit_on_their_fields(stack: Stack) -> None:
    form = campaign_form(
        stack.id("wa"),
        channel="whatsapp",
        content_sid="HX123",
        variable_name=["1", "1"],
        variable_text=["{first_name}", "{job}"],
    )
    answer = await stack.http.post("/ui/campaigns", data=form)

    assert answer.status_code == 422
    found = problems(answer.text)
    assert found["content_sid"] == [
        "A Content SID is HX followed by 32 letters a-f and digits (Twilio&#39;s Content "
        "Template Builder shows it)."
    ]
    assert found["variable-1"] == [
        "Variable 1 is listed twice.",
        "{job} is not a placeholder: use the buttons above to insert one.",
    ]


async def test_only_the_fields_of_the_kind_and_channel_are_saved(stack: Stack) -> None:
    campaign_id = stack.id("hidden-fields")
    # Switched to a blast on SMS after typing modules, closings and an e-mail subject: the
    # page hid them, so they are not saved (and not refused either).
    form = campaign_form(
        campaign_id,
        kind="blast",
        closing=["Bye"],
        expiry="P3D",
        subject="Not for SMS",
        content_sid="HXnot-for-sms",
    )
    answer = await stack.http.post("/ui/campaigns", data=form)

    assert answer.status_code == 303, answer.text
    stored = (await stack.http.get(f"/campaigns/{campaign_id}")).json()
    assert (stored["kind"], stored["messages"], stored["modules"]) == (
        "blast",
        ["Hi {first_name}"],
        [],
    )
    assert stored["subject"] is None and stored["whatsapp_template"] is None


async def test_a_stored_campaign_comes_back_into_the_editor_as_it_was(stack: Stack) -> None:
    body = {
        **multi_module_campaign(modules=2, expiry="PT24H"),
        "channel": "whatsapp",
        "nudges": {"after": ["PT2H", "PT24H"], "message": "Still there?"},
        "whatsapp_template": {
            "content_sid": "HX" + "a" * 32,
            "variables": {"1": "{first_name}", "2": "{job_name}"},
        },
        "quiet_hours": False,
    }
    campaign_id = await stack.put_campaign("round-trip", body)
    before = (await stack.http.get(f"/campaigns/{campaign_id}")).json()
    page = (await stack.http.get(f"/ui/campaigns/{campaign_id}")).text
    assert 'value="PT24H"' in page and 'value="PT2H, PT24H"' in page

    # Saved unchanged from the editor (the fields the page renders), nothing changes.
    form = campaign_form(
        campaign_id,
        stored="yes",
        name=body["name"],
        channel="whatsapp",
        welcome=body["messages"][0],
        closing=body["messages"][1:],
        module_id=["m1", "m2"],
        module_name=["Question 1", "Question 2"],
        module_type=["question", "question"],
        expiry="PT24H",
        nudges_after="PT2H, PT24H",
        nudges_message="Still there?",
        content_sid="HX" + "a" * 32,
        variable_name=["1", "2"],
        variable_text=["{first_name}", "{job_name}"],
        quiet_hours="",
    )
    answer = await stack.http.post("/ui/campaigns", data=form)
    assert answer.status_code == 303, answer.text
    after = (await stack.http.get(f"/campaigns/{campaign_id}")).json()
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


async def test_a_module_without_an_id_takes_one_from_its_name(stack: Stack) -> None:
    campaign_id = stack.id("module-ids")
    form = campaign_form(
        campaign_id,
        module_id=["", "", ""],
        module_name=["Phone screen", "Phone screen", ""],
        module_type=["question", "schedule", "question"],
    )
    answer = await stack.http.post("/ui/campaigns", data=form)

    assert answer.status_code == 303, answer.text
    stored = (await stack.http.get(f"/campaigns/{campaign_id}")).json()
    assert [m["id"] for m in stored["modules"]] == ["phone-screen", "phone-screen-2"]


async def test_a_new_campaign_may_not_take_an_existing_id(stack: Stack) -> None:
    campaign_id = await stack.put_campaign("taken", blast_campaign())
    answer = await stack.http.post("/ui/campaigns", data=campaign_form(campaign_id))

    assert answer.status_code == 422
    assert problems(answer.text) == {
        "campaign_id": ["Another campaign has this id: choose another."]
    }
    assert (await stack.http.get(f"/campaigns/{campaign_id}")).json()["kind"] == "blast"


INTERVIEW_FIELDS = ("interviewers", "duration", "buffer", "min_notice", "horizon", "location")


def job_form(job_id: str, stages: list[dict[str, Any]], **fields: str) -> Form:
    form = [("stored", "no"), ("job_id", job_id), ("name", "Forklift driver")]
    for n, stage in enumerate(stages):
        key = f"k{n}"
        form += [
            ("stage_key", key),
            ("stage_id", stage.get("id", "")),
            ("stage_name", stage.get("name", "")),
            ("stage_campaign", stage.get("campaign", "")),
            ("stage_ats_stage", stage.get("ats", "")),
            ("stage_reject_reason", stage.get("reject", "")),
        ]
        form += [(f"stage_{name}", stage.get(name, "")) for name in INTERVIEW_FIELDS]
        if stage.get("auto_match"):
            form.append(("stage_auto_match", key))
    return as_form(form + list(fields.items()))


async def test_job_stages_are_rows_with_a_campaign_auto_match_and_an_ats_stage(
    stack: Stack,
) -> None:
    campaign_id = await stack.put_campaign("job-rows", blast_campaign())
    job_id = stack.id("rows")
    stages = [
        {"name": "Applied", "campaign": campaign_id, "ats": "101", "reject": "4001"},
        {"name": "Phone screen", "auto_match": True},
        {},  # a row added and left empty
    ]
    form = job_form(
        job_id, stages, ats_system="greenhouse", ats_job_id=f"gh-{job_id}", default_region="au"
    )
    answer = await stack.http.post("/ui/jobs", data=form)

    assert answer.status_code == 303, answer.text
    stored = (await stack.http.get(f"/jobs/{job_id}")).json()
    assert [(s["id"], s["campaign_id"], s["ats_stage_id"]) for s in stored["stages"]] == [
        ("applied", campaign_id, "101"),
        ("phone-screen", None, None),
    ]
    settings = [s["interview_settings"] for s in stored["stages"]]
    assert settings[0] is None and settings[1]["auto_match"] is True
    on_knockout = [s["on_knockout"] for s in stored["stages"]]
    assert on_knockout == [{"ats_action": "reject", "reason": "4001"}, None]
    assert stored["ats"] == {"system": "greenhouse", "job_id": f"gh-{job_id}"}
    page = (await stack.http.get(f"/ui/jobs/{job_id}/edit")).text
    assert f'<option value="{campaign_id}" selected>' in page
    assert 'name="stage_reject_reason" value="4001"' in page  # and saved again as it was
    assert 'value="AU"' in page and "Forklift driver</a>" in page  # the breadcrumb names it


async def test_a_stage_takes_its_interview_settings_in_minutes_hours_and_days(
    stack: Stack,
) -> None:
    ana = stack.id("ana")
    body = {"name": "Ana", "email": "ana@example.com", "timezone": "Europe/Madrid"}
    assert (await stack.http.put(f"/interviewers/{ana}", json=body)).status_code == 200
    job_id = stack.id("interviewing")
    stage = {
        "name": "Interview",
        "interviewers": f" {ana} ,",
        "duration": "45",
        "buffer": "10",
        "min_notice": "24",
        "location": "https://meet.example.com/x",
    }
    answer = await stack.http.post("/ui/jobs", data=job_form(job_id, [stage]))
    assert answer.status_code == 303, answer.text
    [stored] = (await stack.http.get(f"/jobs/{job_id}")).json()["stages"]
    assert stored["interview_settings"] == {
        "auto_match": False,
        "interviewer_ids": [ana],
        "duration": "PT45M",
        "buffer": "PT10M",
        "min_notice": "P1D",
        "horizon": "P14D",
        "location": "https://meet.example.com/x",
    }
    page = (await stack.http.get(f"/ui/jobs/{job_id}/edit")).text
    assert 'name="stage_duration" inputmode="numeric" value="45"' in page
    assert 'name="stage_min_notice" inputmode="numeric" value="24"' in page
    assert 'name="stage_horizon" inputmode="numeric" value=""' in page  # the default
    assert f'<option value="{ana}">Ana</option>' in page

    wrong = await stack.http.post(
        "/ui/jobs",
        data=job_form(stack.id("wrong"), [{"name": "I", "duration": "5", "interviewers": "x"}]),
    )
    assert wrong.status_code == 422 and "PT15M" in wrong.text


async def test_every_problem_of_a_job_shows_at_once_on_its_field(stack: Stack) -> None:
    stages = [
        {"id": "screen", "name": "Screen", "ats": "7"},
        {"id": "screen", "name": "", "ats": "7"},
    ]
    form = job_form(stack.id("bad-job"), stages, ats_job_id="gh-1", default_region="XX")
    form["name"] = [""]
    answer = await stack.http.post("/ui/jobs", data=form)

    assert answer.status_code == 422
    found = problems(answer.text)
    assert found["name"] == ["Fill this in."]
    assert found["stage-1"] == [
        "Another stage has the id &#39;screen&#39;: ids differ.",
        "Another stage maps this vendor stage: a vendor stage maps one stage.",
        "Fill this in.",
    ]
    assert found["ats_system"] == ["Choose the vendor ATS the job id belongs to."]
    assert found["default_region"] == [
        "&#39;XX&#39; is not an ISO 3166 country code (AU, GB, US...)."
    ]


async def recruiter_client(stack: Stack) -> httpx.AsyncClient:
    _, key = await ApiKeys(session_factory(stack.engine)).create(
        "Rita", Role.RECRUITER, datetime.now(UTC)
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {key}"},
    )


async def test_recruiters_read_the_editors_and_are_told_why_they_cannot_save(
    stack: Stack,
) -> None:
    campaign_id = await stack.put_campaign("read-only", blast_campaign())
    job_id = await stack.put_job("read-only", [{"id": "s1", "name": "Applied"}])
    async with await recruiter_client(stack) as recruiter:
        for path in (f"/ui/campaigns/{campaign_id}", f"/ui/jobs/{job_id}/edit"):
            page = (await recruiter.get(path)).text
            assert '<fieldset class="plain" disabled>' in page
            assert "changing it takes an admin" in page
            assert 'type="submit"' not in page
        refused = await recruiter.post("/ui/campaigns", data=campaign_form(campaign_id))
        assert refused.status_code == 403


async def test_module_content_and_questions_are_edited_in_rows(stack: Stack) -> None:
    campaign_id = stack.id("content")
    form = campaign_form(
        campaign_id,
        mode="conversational",
        module_key=["m1", "m2"],
        module_id=["", ""],
        module_name=["Meet us", "Questions"],
        module_type=["content", "question"],
        module_body=["We are **twelve**.", "typed before switching: not saved"],
        module_video=["https://video.example/1", ""],
        question_module=["m2", "m2", "m2"],
        question_id=["", "", ""],
        question_prompt=["Which shift?", "Right to work?", ""],
        question_answer=["choice", "yes_no", "text"],
        question_options=["Mornings\nNights", "", ""],
        question_required=["required", "optional", "required"],
        question_knockout=["", "No", ""],
    )
    answer = await stack.http.post("/ui/campaigns", data=form)
    assert answer.status_code == 303, problems(answer.text)
    stored = (await stack.http.get(f"/campaigns/{campaign_id}")).json()
    assert stored["mode"] == "conversational"
    meet, questions = stored["modules"]
    assert (meet["body"], meet["video_url"], meet["questions"]) == (
        "We are **twelve**.",
        "https://video.example/1",
        [],
    )
    assert questions["body"] is None
    assert [
        (q["id"], q["answer"], q["options"], q["required"], q["knockout"])
        for q in questions["questions"]
    ] == [
        ("which-shift", "choice", ["Mornings", "Nights"], True, []),
        ("right-to-work", "yes_no", [], False, ["no"]),
    ]
    page = (await stack.http.get(f"/ui/campaigns/{campaign_id}")).text
    assert "We are **twelve**." in page and "Right to work?" in page

    bad = dict(
        form, question_options=["Only one", "", ""], question_knockout=["Weekends", "No", ""]
    )
    refused = await stack.http.post("/ui/campaigns", data=bad)
    assert refused.status_code == 422
    assert problems(refused.text)["question-1-0"] == ["A choice question has at least two options."]

    preview = await stack.http.post("/ui/campaigns/preview", data=form)
    assert preview.status_code == 200
    assert "<strong>twelve</strong>" in preview.text and "Which shift?" in preview.text
