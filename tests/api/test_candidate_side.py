"""The candidate's side over HTTP: a link-mode campaign's welcome carries the candidate's own
link; the link opens their page (and its JSON twin) and nothing else; starting and completing
modules moves the enrolment like the progress webhook does, once; a bad answer is a 422 that
stores nothing; a knockout answer ends the campaign; answers reach the enrolment, and a
re-enrolment or an erasure closes the link."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.api.conftest import Stack, StackFactory

pytestmark = pytest.mark.devserver


def screening(**overrides: Any) -> dict[str, Any]:
    """A link-mode campaign: a content module, then a question module with a knockout."""
    return {
        "name": "Warehouse screening",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Hi {first_name}, three quick steps: {link}", "Thanks, we will be in touch."],
        "modules": [
            {
                "id": "meet",
                "name": "Meet the team",
                "type": "content",
                "body": "We are **twelve** people. <script>alert(1)</script>\n\n- nights\n- days",
            },
            {
                "id": "questions",
                "name": "A few questions",
                "type": "question",
                "questions": [
                    {
                        "id": "shifts",
                        "prompt": "Which shifts?",
                        "answer": "multi_choice",
                        "options": ["Mornings", "Nights"],
                    },
                    {
                        "id": "work",
                        "prompt": "Right to work?",
                        "answer": "yes_no",
                        "knockout": ["no"],
                    },
                    {"id": "years", "prompt": "Years of experience?", "answer": "number"},
                    {"id": "note", "prompt": "Anything else?", "answer": "text", "required": False},
                ],
            },
        ],
        **overrides,
    }


async def enrolled(stack: Stack, campaign: dict[str, Any], name: str) -> tuple[str, str]:
    """A new candidate enrolled in ``campaign``: ``(enrolment id, their link)``, delivered."""
    campaign_id = await stack.put_campaign(f"c-{name}", campaign)
    job_id = await stack.put_job(
        f"j-{name}", [{"id": "s1", "name": "Screen", "campaign_id": campaign_id}]
    )
    [enrolment] = await stack.send_event(
        stack.ats_event(
            job_id=job_id, stage_id="s1", application=f"a-{name}", candidate=f"cand-{name}"
        )
    )
    await stack.wait_for(enrolment["id"], "delivered")
    assert enrolment["link"] is not None
    return enrolment["id"], enrolment["link"]


def path_of(link: str) -> str:
    return link[link.index("/c/") :]


async def test_a_candidate_completes_a_campaign_on_their_page(stack: Stack) -> None:
    enrolment_id, link = await enrolled(stack, screening(), "page")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22 and link.startswith(stack.settings.public_base)
    # The welcome carries the link; what the product keeps of it does not carry the token.
    shown = await stack.enrolment(enrolment_id)
    assert token not in shown["messages"][0]["body"] and "/c/…" in shown["messages"][0]["body"]

    page = await stack.http.get(path_of(link), headers={"Authorization": ""})
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "Meet the team" in page.text and 'id="start"' in page.text

    state = (await stack.http.get(f"{path_of(link)}/state")).json()
    assert (state["status"], state["current_module_id"]) == ("delivered", "meet")
    assert state["modules"][1]["questions"][1]["knockout"] == ["no"]

    started = await stack.http.post(f"{path_of(link)}/modules/meet/start", json={})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    body = (await stack.http.get(path_of(link))).text
    assert "<strong>twelve</strong>" in body and "<script>alert" not in body
    assert len(body.encode()) < 50_000, "a page stays small on a slow network"

    done = await stack.http.post(f"{path_of(link)}/modules/meet/complete", json={"answers": {}})
    assert done.json()["current_module_id"] == "questions"

    # Every problem at once, nothing stored.
    bad = await stack.http.post(
        f"{path_of(link)}/modules/questions/complete",
        json={"answers": {"shifts": ["Weekends"], "years": "many", "nope": "x"}},
    )
    assert bad.status_code == 422
    details = {d["question_id"]: d["code"] for d in bad.json()["error"]["details"]}
    assert details == {"shifts": "choose", "work": "required", "years": "number", "nope": "unknown"}
    assert (await stack.enrolment(enrolment_id))["answers"] == []

    answers = {"shifts": ["Nights", "Mornings"], "work": "yes", "years": "2.5", "note": "<b>hi</b>"}
    finished = await stack.http.post(
        f"{path_of(link)}/modules/questions/complete", json={"answers": answers}
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] == "completed"
    kept = (await stack.enrolment(enrolment_id))["answers"]
    assert [(a["question_id"], a["value"]) for a in kept] == [
        ("shifts", ["Mornings", "Nights"]),
        ("work", "yes"),
        ("years", 2.5),
        ("note", "<b>hi</b>"),
    ]
    recruiter_page = (await stack.http.get(f"/ui/enrolments/{enrolment_id}")).text
    assert "Right to work?" in recruiter_page and "&lt;b&gt;hi&lt;/b&gt;" in recruiter_page
    job_id = shown["job_id"]
    exported = (await stack.http.get(f"/jobs/{job_id}/applications.csv")).text
    assert "Which shifts?: Mornings, Nights | Right to work?: yes" in exported
    thanks = (await stack.http.get(path_of(link))).text
    assert 'data-kind="thanks"' in thanks and "Which shifts?" not in thanks
    # A repeat changes nothing.
    again = await stack.http.post(
        f"{path_of(link)}/modules/questions/complete", json={"answers": answers}
    )
    assert again.status_code == 409


async def test_a_knockout_answer_ends_the_campaign(stack: Stack) -> None:
    enrolment_id, link = await enrolled(stack, screening(), "knockout")
    await stack.http.post(f"{path_of(link)}/modules/meet/complete", json={"answers": {}})
    answers = {"shifts": ["Nights"], "work": "no", "years": 1}
    ended = await stack.http.post(
        f"{path_of(link)}/modules/questions/complete", json={"answers": answers}
    )
    assert ended.json()["status"] == "completed"
    assert ended.json()["status_reason"] == "knocked_out"
    shown = await stack.enrolment(enrolment_id)
    assert (shown["status"], shown["status_reason"]) == ("completed", "knocked_out")
    assert not any(m["message_number"] == 2 for m in shown["messages"]), "no closing message"
    analytics = (await stack.http.get(f"/campaigns/{stack.id('c-knockout')}/analytics")).json()
    counts = {a["question_id"]: a["counts"] for a in analytics["answers"]}
    assert counts == {"shifts": {"Mornings": 0, "Nights": 1}, "work": {"yes": 0, "no": 1}}


async def test_the_page_names_the_employer_and_the_job(open_stack: StackFactory) -> None:
    async with open_stack(company_name="Acme <Foods>") as stack:
        _, link = await enrolled(stack, screening(), "company")
        page = await stack.http.get(path_of(link), headers={"Authorization": ""})
    header = page.text[page.text.index("<header>") : page.text.index("</header>")]
    assert "<strong>Acme &lt;Foods&gt;</strong> · " in header and "Screen" not in header


async def test_the_pages_work_without_javascript(stack: Stack) -> None:
    _, link = await enrolled(stack, screening(), "forms")
    page = path_of(link)
    form = {"headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    moved = await stack.http.post(f"{page}/modules/meet/start", **form)
    assert moved.status_code == 303 and moved.headers["location"] == page
    moved = await stack.http.post(f"{page}/modules/meet/complete", **form)
    assert moved.status_code == 303
    # The next module opened as the candidate landed on it.
    assert (await stack.http.get(f"{page}/state")).json()["modules"][1]["state"] == "started"
    refused = await stack.http.post(
        f"{page}/modules/questions/complete",
        content="q.shifts=Nights&q.years=lots",
        **form,
    )
    assert refused.status_code == 422
    assert 'id="error-work"' in refused.text and "This question needs an answer." in refused.text
    assert 'value="lots"' in refused.text, "what was typed stays"
    spanish = await stack.http.post(
        f"{page}/modules/questions/complete",
        content="q.shifts=Nights&q.years=lots",
        headers={**form["headers"], "Accept-Language": "es-MX,es;q=0.9"},
    )
    assert "Esta pregunta necesita una respuesta." in spanish.text
    done = await stack.http.post(
        f"{page}/modules/questions/complete",
        content="q.shifts=Nights&q.shifts=Mornings&q.work=yes&q.years=3",
        **form,
    )
    assert done.status_code == 303
    assert (await stack.http.get(f"{page}/state")).json()["status"] == "completed"


async def test_a_link_opens_its_own_page_only(stack: Stack) -> None:
    enrolment_id, link = await enrolled(stack, screening(), "forged")
    token = link.rsplit("/", 1)[1]
    for forged in ("x" * 22, token[:-1] + ("A" if token[-1] != "A" else "B"), "%2e%2e", "a" * 300):
        answer = await stack.http.get(f"/c/{forged}")
        assert answer.status_code == 404, forged
        assert token not in answer.text
    assert (await stack.http.get(f"/c/{'x' * 22}/state")).status_code == 404
    # Racing clicks on one module apply once.
    results = await asyncio.gather(
        *(stack.http.post(f"{path_of(link)}/modules/meet/start", json={}) for _ in range(5))
    )
    assert {r.status_code for r in results} == {200}
    timeline = (await stack.enrolment(enrolment_id))["timeline"]
    assert sum("started" in t["detail"] for t in timeline) == 1


async def test_erasure_closes_the_link(stack: Stack) -> None:
    _, link = await enrolled(stack, screening(), "erased")
    assert (await stack.http.get(path_of(link))).status_code == 200
    erased = await stack.http.delete(f"/candidates/cand-erased-{stack.run_id}")
    assert erased.status_code == 202, erased.text
    for _ in range(50):
        if (await stack.http.get(path_of(link))).status_code == 404:
            break
        await asyncio.sleep(0.1)
    assert (await stack.http.get(path_of(link))).status_code == 404
