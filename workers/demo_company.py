"""The demo company's cast: its campaigns, jobs and candidates (``workers.demo`` loads them).

Three jobs with stages linked to blasts, multi-module campaigns and Auto-Match scheduling, and
37 candidates, a few of them with numbers no carrier reaches and three eight hours apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: When the demo's ATS events happened (fixed, so a second load sends identical events).
EVENTS_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

CAMPAIGNS: dict[str, dict[str, Any]] = {
    "demo-application-received": {
        "name": "Application received",
        "kind": "blast",
        "channel": "sms",
        "messages": ["Thanks for applying! We have your application and will review it soon."],
    },
    "demo-screening": {
        "name": "Screening chat",
        "kind": "multi_module",
        "channel": "whatsapp",
        "messages": [
            "Hi! Thanks for applying. Three quick steps and we will know each other a lot better.",
            "That is everything, thank you! A recruiter will be in touch within two days.",
        ],
        "modules": [
            {
                "id": "meet-the-team",
                "name": "Meet the team",
                "type": "content",
                "body": "We are twelve engineers who build the tools **three thousand** "
                "recruiters use every day.\n\nWhat we care about:\n\n"
                "- small changes, shipped daily\n- writing things down\n"
                "- time for deep work\n\nRead more on [our blog](https://example.com/blog).",
            },
            {
                "id": "screening-questions",
                "name": "Screening questions",
                "type": "question",
                "questions": [
                    {
                        "id": "years",
                        "prompt": "How many years have you worked as a backend engineer?",
                        "answer": "number",
                    },
                    {
                        "id": "languages",
                        "prompt": "Which languages have you shipped in production?",
                        "answer": "multi_choice",
                        "options": ["Python", "Go", "TypeScript", "Rust"],
                    },
                    {
                        "id": "hours",
                        "prompt": "Can you work at least four hours a day between 09:00 and "
                        "17:00 London time?",
                        "answer": "yes_no",
                        "knockout": ["no"],
                    },
                    {
                        "id": "notes",
                        "prompt": "Anything you would like us to know?",
                        "answer": "text",
                        "required": False,
                    },
                ],
            },
            {"id": "book-a-call", "name": "Book a call", "type": "schedule"},
        ],
        "nudges": {
            "after": ["PT20S", "PT40S"],
            "message": "Hi {first_name}, your screening for {job_name} is still waiting for you.",
        },
        "expiry": "P7D",
    },
    "demo-interview-booking": {
        "name": "Interview booking",
        "kind": "multi_module",
        "channel": "sms",
        "messages": [
            "Good news: you are through to the interview! Pick a slot that suits you.",
            "You are booked in. See you then!",
        ],
        "modules": [{"id": "pick-a-slot", "name": "Pick an interview slot", "type": "schedule"}],
    },
    "demo-shift-check": {
        "name": "Shift availability check",
        "kind": "multi_module",
        "channel": "sms",
        "messages": ["Quick one before we go on: which shifts can you work? Reply in the chat."],
        "modules": [{"id": "shifts", "name": "Which shifts can you work?", "type": "question"}],
        "expiry": "PT30S",
    },
    "demo-offer": {
        "name": "Offer letter",
        "kind": "blast",
        "channel": "email",
        "messages": ["Congratulations! Your offer letter is attached. Welcome aboard."],
    },
    "demo-rejection": {
        "name": "Thank you, but no",
        "kind": "blast",
        "channel": "email",
        "messages": [
            "Thank you for your time. We have decided to move forward with other candidates."
        ],
    },
}
for _campaign in CAMPAIGNS.values():
    _campaign["quiet_hours"] = False
CAMPAIGNS["demo-night-briefing"] = {
    "name": "Night-shift briefing",
    "kind": "blast",
    "channel": "sms",
    "messages": ["Hi {first_name}! Your first night shift starts Monday at 22:00. Welcome!"],
}

AUTO_MATCH = {"auto_match": True}

JOBS: dict[str, dict[str, Any]] = {
    "demo-backend-engineer": {
        "name": "Senior Backend Engineer",
        "stages": [
            {"id": "applied", "name": "Applied", "campaign_id": "demo-application-received"},
            {"id": "screen", "name": "Screen", "campaign_id": "demo-screening"},
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": "demo-interview-booking",
                "interview_settings": AUTO_MATCH,
            },
            {"id": "offer", "name": "Offer", "campaign_id": "demo-offer"},
            {"id": "rejected", "name": "Rejected", "campaign_id": "demo-rejection"},
        ],
    },
    "demo-warehouse-associate": {
        "name": "Warehouse Associate, Night Shift",
        "stages": [
            {"id": "applied", "name": "Applied", "campaign_id": "demo-shift-check"},
            {
                "id": "interview",
                "name": "On-site interview",
                "campaign_id": "demo-interview-booking",
                "interview_settings": AUTO_MATCH,
            },
            {"id": "hired", "name": "Hired", "campaign_id": None},
            {"id": "briefing", "name": "Night briefing", "campaign_id": "demo-night-briefing"},
            {"id": "rejected", "name": "Rejected", "campaign_id": "demo-rejection"},
        ],
    },
    "demo-support-specialist": {
        "name": "Customer Support Specialist",
        "stages": [
            {"id": "applied", "name": "Applied", "campaign_id": None},
            {"id": "phone-screen", "name": "Phone screen", "campaign_id": "demo-screening"},
            {
                "id": "interview",
                "name": "Interview",
                "campaign_id": "demo-interview-booking",
                "interview_settings": AUTO_MATCH,
            },
            {"id": "rejected", "name": "Rejected", "campaign_id": "demo-rejection"},
        ],
    },
}

SCREENING_MODULES = [m["id"] for m in CAMPAIGNS["demo-screening"]["modules"]]
BACKEND = "demo-backend-engineer"
WAREHOUSE = "demo-warehouse-associate"
SUPPORT = "demo-support-specialist"


@dataclass(frozen=True)
class DemoCandidate:
    id: str
    name: str
    phone: str | None
    timezone: str = "America/New_York"

    @property
    def email(self) -> str:
        return self.name.lower().replace(" ", ".").replace("'", "") + "@example.com"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "timezone": self.timezone,
        }


def _candidate(number: int, name: str, phone: str | None = None) -> DemoCandidate:
    return DemoCandidate(
        id=f"demo-cand-{number:02d}", name=name, phone=phone or f"+1415555{number:04d}"
    )


C = {
    n: _candidate(n, name)
    for n, name in enumerate(
        [
            "Ava Thompson",
            "Liam Chen",
            "Sofia Martinez",
            "Noah Williams",
            "Mia Johnson",
            "Ethan Brown",
            "Isabella Garcia",
            "Lucas Davis",
            "Amelia Wilson",
            "Oliver Moore",
            "Harper Taylor",
            "James Anderson",
            "Charlotte Thomas",
            "Benjamin Jackson",
            "Evelyn White",
            "Henry Harris",
            "Abigail Martin",
            "Alexander Lee",
            "Emily Clark",
            "Daniel Lewis",
            "Elizabeth Walker",
            "Matthew Hall",
            "Sofia Allen",
            "Jackson Young",
            "Avery King",
            "Sebastian Wright",
            "Ella Scott",
            "Jack Green",
            "Scarlett Baker",
            "Owen Adams",
            "Grace Nelson",
            "Samuel Hill",
            "Chloe Ramirez",
            "Leo Campbell",
        ],
        start=1,
    )
}
# Numbers no carrier can reach: their enrolments fail with a reason.
C[11] = DemoCandidate(id="demo-cand-11", name="Harper Taylor", phone="+1 555")
C[23] = DemoCandidate(id="demo-cand-23", name="Sofia Allen", phone="12345")
# Eight hours apart: at any hour, one of them is in their quiet hours.
NIGHT_SHIFT = [
    DemoCandidate(id=f"demo-cand-{number}", name=name, phone=f"+1415555{number:04d}", timezone=zone)
    for number, name, zone in [
        (35, "Amara Okafor", "Europe/London"),
        (36, "Wei Zhang", "Asia/Shanghai"),
        (37, "Diego Alvarez", "America/Los_Angeles"),
    ]
]

#: The candidate whose link ``--demo`` prints (their screening chat is delivered, unopened).
LINKED_APPLICATION = "demo-b06"


#: How many applications the demo's stories create (``tests/browser/test_demo.py`` counts them).
APPLICATIONS = 38


LINKED = C[6]


def description() -> str:
    """What ``--demo`` loads, in the README's words (``python -m workers.demo_company`` prints
    it; a test keeps the README's copy identical)."""
    kinds = [campaign["kind"] for campaign in CAMPAIGNS.values()]
    channels = sorted({campaign["channel"] for campaign in CAMPAIGNS.values()})
    said = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "e-mail"}
    candidates = list(C.values()) + NIGHT_SHIFT
    unreachable = [c for c in candidates if c.phone and not c.phone.startswith("+1415555")]
    nudged = [c for c in CAMPAIGNS.values() if c.get("nudges")]
    quick = [c for c in CAMPAIGNS.values() if c.get("expiry", "P").startswith("PT")]
    night = next(c for c in CAMPAIGNS.values() if c.get("quiet_hours", True))
    return (
        f"`--demo` loads a demo company: {len(JOBS)} jobs ("
        + "; ".join(job["name"] for job in JOBS.values())
        + f"), {len(CAMPAIGNS)} campaigns ({kinds.count('blast')} blasts, "
        f"{kinds.count('multi_module')} multi-module; over "
        + ", ".join(said[c] for c in channels[:-1])
        + f" and {said[channels[-1]]}), {len(candidates)} candidates and {APPLICATIONS} "
        "applications, so every status shows up within a minute. "
        + " ".join(
            f"The {c['name']} nudges whoever leaves it unopened (after "
            + " and ".join(c["nudges"]["after"])
            + ")."
            for c in nudged
        )
        + " "
        + " ".join(f"The {c['name']} expires {c['expiry']} after delivery." for c in quick)
        + f" {len(unreachable)} candidates have numbers no carrier reaches: theirs fail at once. "
        f"The {night['name']} goes to {len(NIGHT_SHIFT)} candidates eight hours apart ("
        + ", ".join(c.timezone for c in NIGHT_SHIFT)
        + "): at any hour one of them is in their quiet hours, and theirs waits for the morning. "
        + " ".join(
            f"The {c['name']} has a page for each candidate: `--demo` prints the link of "
            f"{LINKED.name}, who has not opened it yet, so you can be the candidate."
            for c in CAMPAIGNS.values()
            if c.get("modules") and any("body" in m or "questions" in m for m in c["modules"])
        )
    )


if __name__ == "__main__":
    print(description())
