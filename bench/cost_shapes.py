"""The shapes ``bench.cloud_cost`` measures, driven through the product's HTTP API as users
drive it, and what each cost: its workflows' histories read back from the server and counted
(``bench.actions``). Each shape has a candidate (and interviewer) of its own."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

from bench.actions import actions, savings
from bench.candidate_pages import QUESTIONS
from domain.identity import candidate_workflow_id, interviewer_workflow_id

#: At least how long before its reminder falls due an interview is booked, in seconds.
LEAD = 45


@dataclass
class Cost:
    """Actions spent, by kind, and those the proposals would save (``bench.actions.savings``)."""

    actions: Counter[str]
    saved: Counter[str]

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.actions + other.actions, self.saved + other.saved)


@dataclass
class Measured:
    shape: str
    cost: Cost
    note: str = ""

    @property
    def counted(self) -> Counter[str]:
        return self.cost.actions

    @property
    def total(self) -> int:
        return sum(self.counted.values())


# -- reading histories back ---------------------------------------------------------------------

#: A history ending in one of these has work under way.
BUSY = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
)


async def settled(client: Client, workflow_id: str, quiet: float = 1.5) -> WorkflowHistory:
    """The workflow's history once nothing has happened for ``quiet`` seconds and its last
    workflow task completed (no events if it does not exist)."""
    last, since = -1, time.monotonic()
    began = since
    while True:
        try:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        except RPCError:
            return WorkflowHistory(workflow_id, [])
        events = history.events
        done = bool(events) and events[-1].event_type not in BUSY
        if len(events) != last or not done:
            last, since = len(events), time.monotonic()
            if time.monotonic() - began > 60:
                raise TimeoutError(f"{workflow_id} never settled: {events[-1]}")
        elif time.monotonic() - since >= quiet:
            return history
        await asyncio.sleep(0.25)


async def settled_length(client: Client, workflow_id: str) -> int:
    """The number of events in the workflow's history, once it is quiet (``settled``)."""
    return len((await settled(client, workflow_id)).events)


async def actions_after(client: Client, workflow_id: str, after: int) -> Cost:
    """The Actions of ``workflow_id``'s history past its event ``after``, once it is quiet."""
    history = await settled(client, workflow_id)
    return Cost(actions(history, after_event=after), savings(history, after_event=after))


# -- driving the product -----------------------------------------------------------------------


class Shapes:
    """The shapes, each on a candidate of its own, through the product's HTTP API."""

    def __init__(self, http: httpx.AsyncClient, client: Client, run: str) -> None:
        self.http = http
        self.client = client
        self.run = run
        self._phones = iter(range(100, 10_000))

    async def put(self, path: str, body: dict[str, Any]) -> None:
        answer = await self.http.put(path, json=body)
        if answer.status_code >= 400:
            raise RuntimeError(f"PUT {path}: {answer.status_code} {answer.text[:300]}")

    async def job(self, name: str, campaign: dict[str, Any], **stage: Any) -> str:
        job_id = f"cost-{name}-{self.run}"
        await self.put(f"/campaigns/{job_id}", campaign)
        stages = [{"id": "s", "name": name, "campaign_id": job_id, **stage}]
        await self.put(f"/jobs/{job_id}", {"name": name, "stages": stages})
        return job_id

    async def enrol(self, job_id: str, candidate: str, phone: str) -> dict[str, Any]:
        event = {
            "id": f"evt-{job_id}-{candidate}",
            "type": "application.created",
            "occurred_at": datetime.now(UTC).isoformat(),
            "application": {"id": f"app-{job_id}-{candidate}", "job_id": job_id, "stage_id": "s"},
            "candidate": {"id": candidate, "name": "Cost Candidate", "phone": phone},
        }
        answer = await self.http.post("/ats/events", json=event)
        if answer.status_code >= 400:
            raise RuntimeError(f"ATS event: {answer.status_code} {answer.text[:300]}")
        enrolment: dict[str, Any] = answer.json()["enrolments"][0]
        return enrolment

    def candidate(self) -> tuple[str, str]:
        number = next(self._phones)
        return f"cost-{self.run}-{number}", f"+1415555{number:04d}"

    def say(self, what: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {what}", flush=True)

    async def until(
        self, enrolment_id: str, done: Callable[[dict[str, Any]], bool], within: float = 120
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            shown: dict[str, Any] = (await self.http.get(f"/enrolments/{enrolment_id}")).json()
            if done(shown):
                return shown
            if time.monotonic() > deadline:
                raise TimeoutError(f"{enrolment_id}: {shown}")
            await asyncio.sleep(0.2)

    async def status(self, enrolment_id: str, status: str) -> dict[str, Any]:
        return await self.until(enrolment_id, lambda e: e["status"] == status)

    async def sent(self, enrolment_id: str, count: int) -> dict[str, Any]:
        return await self.until(enrolment_id, lambda e: len(e["messages"]) >= count)

    # -- the shapes ------------------------------------------------------------------------------

    async def blasts(self) -> list[Measured]:
        """A blast to a new candidate, then their second campaign (another blast)."""
        candidate, phone = self.candidate()
        workflow_id = candidate_workflow_id(candidate)
        costs = []
        for name in ("first", "second"):
            job_id = await self.job(f"blast-{name}", BLAST)
            after = await settled_length(self.client, workflow_id)
            enrolment = await self.enrol(job_id, candidate, phone)
            self.say(f"blast {name}: enrolled")
            await self.status(enrolment["id"], "delivered")
            self.say(f"blast {name}: delivered")
            costs.append(await actions_after(self.client, workflow_id, after))
        return [Measured("blast", costs[0]), Measured("second campaign", costs[1])]

    async def link(self) -> Measured:
        candidate, phone = self.candidate()
        job_id = await self.job("link", LINK)
        enrolment = await self.enrol(job_id, candidate, phone)
        await self.status(enrolment["id"], "delivered")
        page = enrolment["link"][enrolment["link"].index("/c/") :]
        await self.page(f"{page}/modules/intro/start", {})
        for module, answers in LINK_ANSWERS:
            await self.page(f"{page}/modules/{module}/complete", {"answers": answers})
        await self.status(enrolment["id"], "completed")
        self.say("link: completed")
        counted = await actions_after(self.client, candidate_workflow_id(candidate), 0)
        return Measured("3-module link", counted)

    async def page(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.http.post(path, json=body)
        if answer.status_code >= 400:
            raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text[:300]}")
        shown: dict[str, Any] = answer.json()
        return shown

    async def conversational(self) -> Measured:
        candidate, phone = self.candidate()
        job_id = await self.job("chat", CHAT)
        enrolment = await self.enrol(job_id, candidate, phone)
        for asked, (_, _, _, _, reply) in enumerate(QUESTIONS, start=2):
            await self.sent(enrolment["id"], asked)  # the welcome, then each question
            form = {"From": phone, "Body": reply, "MessageSid": f"SM{self.run}{phone}{asked}"}
            self.say(f"chat: question {asked - 1} asked")
            answer = await self.http.post("/webhooks/twilio/inbound", data=form)
            if answer.status_code >= 400:
                raise RuntimeError(f"reply: {answer.status_code} {answer.text[:300]}")
        await self.status(enrolment["id"], "completed")
        counted = await actions_after(self.client, candidate_workflow_id(candidate), 0)
        return Measured("5-question conversational", counted)

    async def booking(self, ahead: timedelta, reminder: str) -> tuple[Cost, Cost]:
        """A booking ``ahead`` from now and the ``reminder`` it brings about: (the candidate's
        and the interviewer's Actions up to the reminder, the interviewer's for the reminder
        alone)."""
        candidate, phone = self.candidate()
        interviewer = f"iv-{candidate}"
        await self.put(
            f"/interviewers/{interviewer}",
            {"name": "Ana", "email": "ana@example.com", "timezone": "UTC"},
        )
        due = next_quarter(datetime.now(UTC) + timedelta(seconds=LEAD))  # slots start on them
        start = due + ahead
        window = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
        await self.put(f"/interviewers/{interviewer}/availability", {"windows": [window]})
        settings = {"interviewer_ids": [interviewer], "min_notice": "PT0M", "duration": "PT30M"}
        job_id = await self.job(f"schedule-{reminder}", SCHEDULE, interview_settings=settings)
        calendar = interviewer_workflow_id(interviewer)
        before = await settled_length(self.client, calendar)
        enrolment = await self.enrol(job_id, candidate, phone)
        await self.status(enrolment["id"], "delivered")
        page = enrolment["link"][enrolment["link"].index("/c/") :]
        slots = (await self.http.get(f"{page}/slots")).json()["slots"]
        self.say(f"booking {reminder}: {slots[0]['start']} of {window}")
        await self.page(f"{page}/modules/book/book", {"start": slots[0]["start"]})
        await self.status(enrolment["id"], "completed")
        self.say(f"booking {reminder}: completed")
        await self.until(enrolment["id"], lambda e: told(e, "interview confirmation"))
        self.say(f"booking {reminder}: confirmed")
        booked = await settled_length(self.client, calendar)
        label = f"interview reminder ({reminder})"
        wait = (due - datetime.now(UTC)).total_seconds() + 120
        await self.until(enrolment["id"], lambda e: told(e, label), within=wait)
        shape = await actions_after(self.client, candidate_workflow_id(candidate), 0)
        shape += await actions_after(self.client, calendar, before)
        return shape, await actions_after(self.client, calendar, booked)

    async def schedule(self) -> Measured:
        (shape, _), (_, soon) = await asyncio.gather(
            self.booking(timedelta(hours=24), "24 h"),
            self.booking(timedelta(hours=2), "2 h"),
        )
        return Measured(
            "schedule + 2 reminders",
            shape + soon,
            "booking and 24 h reminder measured on one booking, the 2 h reminder on another",
        )


def next_quarter(after: datetime) -> datetime:
    """The first quarter hour after ``after``."""
    quarter = after.replace(minute=after.minute - after.minute % 15, second=0, microsecond=0)
    return quarter + timedelta(minutes=15)


def told(enrolment: dict[str, Any], name: str) -> bool:
    return any(m["name"] == name and m["status"] != "sending" for m in enrolment["messages"])


BLAST = {"name": "Received", "kind": "blast", "channel": "sms", "messages": ["Thanks!"]}
LINK = {
    "name": "Three steps",
    "kind": "multi_module",
    "channel": "sms",
    "messages": ["Hi {first_name}, three quick steps: {link}"],
    "modules": [
        {"id": "intro", "name": "Meet us", "type": "content", "body": "We run warehouses."},
        {
            "id": "work",
            "name": "Right to work",
            "type": "question",
            "questions": [{"id": "work", "prompt": "Right to work?", "answer": "yes_no"}],
        },
        {
            "id": "shift",
            "name": "Shift",
            "type": "question",
            "questions": [
                {"id": "shift", "prompt": "Which shift?", "answer": "choice",
                 "options": ["Mornings", "Nights"]},
            ],
        },
    ],
}  # fmt: skip
LINK_ANSWERS = [("intro", {}), ("work", {"work": "yes"}), ("shift", {"shift": "Nights"})]
CHAT = {
    "name": "Five questions",
    "kind": "multi_module",
    "channel": "sms",
    "mode": "conversational",
    "messages": ["Hi {first_name}! Five quick questions by text."],
    "modules": [
        {
            "id": "questions",
            "name": "Questions",
            "type": "question",
            "questions": [
                {"id": qid, "prompt": prompt, "answer": kind, **({"options": o} if o else {})}
                for qid, prompt, kind, o, _ in QUESTIONS
            ],
        }
    ],
}
SCHEDULE = {
    "name": "Book your interview",
    "kind": "multi_module",
    "channel": "sms",
    "messages": ["Hi {first_name}, pick a time: {link}"],
    "modules": [{"id": "book", "name": "Pick a time", "type": "schedule"}],
}
