"""The campaign editor's form: what an admin types, turned into the API's campaign and back.

Only the fields of the campaign's kind and channel count (the page hides the others, and what
a hidden field still holds is not saved). Messages and modules are rows. Every problem is found
at once and kept on its field, in a recruiter's words: the form's own checks, the model's (the
same ``Campaign`` the API validates) and each text's placeholders.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise, zip_longest
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import FormData

from api.pages.forms import (
    IDENTIFIER_RULE,
    FieldErrors,
    Posted,
    new_id_problem,
    validated,
)
from api.pages.module_editor import (
    ModuleFields,
    module_definitions,
    posted_modules,
)
from api.pages.module_editor import labels as module_labels
from domain.campaigns import Campaign, CampaignKind, CampaignMode
from domain.channels import CHANNELS, ChannelKind
from domain.durations import format_duration, parse_duration, too_long
from domain.personalisation import TemplateError, check

CONTENT_SID_RULE = (
    "A Content SID is HX followed by 32 letters a-f and digits (Twilio's Content Template "
    "Builder shows it)."
)
CHANNEL_NAMES = frozenset(kind.value for kind in ChannelKind)
NUDGES_GROW = "Nudge offsets must grow: each one later than the one before."
VARIABLE_RULE = "A variable's name is letters, digits or '_' (Twilio numbers them 1, 2, 3…)."


class VariableFields(BaseModel):
    """One WhatsApp template variable as its row shows it."""

    name: str = ""
    text: str = ""


class CampaignForm(BaseModel):
    """The campaign editor's fields, as typed (strings and rows, nothing validated yet)."""

    campaign_id: str = ""
    name: str = ""
    kind: str = CampaignKind.BLAST.value
    channel: str = ChannelKind.SMS.value
    subject: str = ""
    welcome: str = ""
    closings: list[str] = []
    modules: list[ModuleFields] = []
    mode: str = CampaignMode.LINK.value
    expiry: str = ""
    nudges_after: str = ""
    nudges_message: str = ""
    content_sid: str = ""
    variables: list[VariableFields] = []
    quiet_hours: bool = True

    @classmethod
    def of(cls, campaign_id: str, campaign: Campaign) -> CampaignForm:
        """The form showing a stored campaign."""
        template = campaign.whatsapp_template
        nudges = campaign.nudges
        return cls(
            campaign_id=campaign_id,
            name=campaign.name,
            kind=campaign.kind.value,
            channel=campaign.channel.value,
            subject=campaign.subject or "",
            welcome=campaign.messages[0],
            closings=list(campaign.messages[1:]),
            modules=[ModuleFields.of(str(n), m) for n, m in enumerate(campaign.modules)],
            mode=campaign.mode.value,
            expiry=_written(campaign.expiry) if campaign.expiry is not None else "",
            nudges_after=", ".join(_written(d) for d in nudges.after) if nudges else "",
            nudges_message=nudges.message if nudges else "",
            content_sid=template.content_sid if template else "",
            variables=[VariableFields(name=k, text=v) for k, v in template.variables.items()]
            if template
            else [],
            quiet_hours=campaign.quiet_hours,
        )

    @classmethod
    def posted(cls, form: FormData) -> CampaignForm:
        """The form as the browser posted it (rows as parallel lists of fields)."""
        posted = Posted(form)
        one, many = posted.one, posted.many
        return cls(
            campaign_id=one("campaign_id").strip(),
            name=one("name"),
            kind=one("kind"),
            channel=one("channel"),
            subject=one("subject"),
            welcome=one("welcome"),
            closings=many("closing"),
            modules=posted_modules(posted),
            mode=one("mode") or CampaignMode.LINK.value,
            expiry=one("expiry"),
            nudges_after=one("nudges_after"),
            nudges_message=one("nudges_message"),
            content_sid=one("content_sid"),
            variables=[
                VariableFields(name=n or "", text=t or "")
                for n, t in zip_longest(many("variable_name"), many("variable_text"))
            ],
            quiet_hours=one("quiet_hours") == "on",
        )

    @property
    def multi_module(self) -> bool:
        return self.kind == CampaignKind.MULTI_MODULE.value

    def labels(self) -> dict[str, str]:
        """What the page calls each field, in the page's order (the summary's order)."""
        labels = {
            "campaign_id": "Id",
            "name": "Name",
            "kind": "Kind",
            "channel": "Channel",
            "subject": "E-mail subject",
            "content_sid": "WhatsApp template",
        }
        labels |= {
            f"variable-{n}": f"Template variable {n + 1}" for n in range(len(self.variables))
        }
        labels["welcome"] = "Welcome message" if self.multi_module else "Message"
        labels["modules"] = "Modules"
        labels["mode"] = "How the candidate answers"
        labels |= module_labels(self.modules)
        labels |= {f"closing-{n}": f"Closing message {n + 1}" for n in range(len(self.closings))}
        labels |= {
            "expiry": "Time to complete",
            "nudges_after": "Nudges after",
            "nudges_message": "Nudge message",
            "definition": "Campaign",
        }
        return labels

    def checked(self, new: bool) -> tuple[Campaign | None, FieldErrors]:
        """The campaign this form describes, or every problem with it (``new``: the id is
        typed here, so it is checked too)."""
        errors = FieldErrors(labels=self.labels())
        new_id_problem(errors, "campaign_id", self.campaign_id, new)
        body, where = self._definition(errors)
        for key, text in where.texts:
            try:
                check(text)
            except TemplateError as err:
                errors.add(key, _template_words(err))
        durations = frozenset({"expiry", "nudges_after"})  # read by the form first
        campaign = validated(Campaign, body, errors, where.field_of, _pattern_rule, durations)
        return campaign, errors

    def _definition(self, errors: FieldErrors) -> tuple[dict[str, Any], _Where]:
        """The API body the visible fields describe, and where each part came from."""
        where = _Where()
        body: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "channel": self.channel,
            "quiet_hours": self.quiet_hours,
        }
        where.texts.append(("welcome", self.welcome))
        where.messages.append("welcome")
        messages = [self.welcome]
        traits = CHANNELS.get(ChannelKind(self.channel)) if self.channel in CHANNEL_NAMES else None
        if traits is not None and traits.subject and self.subject.strip():
            body["subject"] = self.subject.strip()
            where.texts.append(("subject", body["subject"]))
        if traits is not None and traits.opening_template:
            self._template(body, where, errors)
        if self.multi_module:
            for n, text in enumerate(self.closings):
                if text.strip():
                    messages.append(text)
                    where.messages.append(f"closing-{n}")
                    where.texts.append((f"closing-{n}", text))
            body["modules"] = self._modules(where, errors)
            body["mode"] = self.mode
            self._timing(body, where, errors)
        body["messages"] = messages
        return body, where

    def _modules(self, where: _Where, errors: FieldErrors) -> list[dict[str, Any]]:
        modules, where.modules, where.questions = module_definitions(self.modules, errors)
        for module, field in zip(modules, where.modules, strict=True):
            if module.get("body"):
                where.texts.append((field, module["body"]))
        where.texts += [
            (where.questions[(m, q)], question["prompt"])
            for m, module in enumerate(modules)
            for q, question in enumerate(module.get("questions", []))
        ]
        if not modules:
            errors.add("modules", "Add at least one module: the candidate works through them.")
        return modules

    def _timing(self, body: dict[str, Any], where: _Where, errors: FieldErrors) -> None:
        if self.expiry.strip():
            body["expiry"] = _duration(self.expiry, "expiry", errors)
        after = [d for d in re.split(r"[\s,;]+", self.nudges_after) if d]
        if after or self.nudges_message.strip():
            written = [_duration(d, "nudges_after", errors) for d in after]
            body["nudges"] = {"after": written, "message": self.nudges_message}
            offsets = [o for o in map(_parsed, written) if o is not None]
            if any(b <= a for a, b in pairwise(offsets)):
                errors.add("nudges_after", NUDGES_GROW)
            where.texts.append(("nudges_message", self.nudges_message))

    def _template(self, body: dict[str, Any], where: _Where, errors: FieldErrors) -> None:
        variables: dict[str, str] = {}
        for n, row in enumerate(self.variables):
            if not (row.name.strip() or row.text.strip()):
                continue
            name = row.name.strip()
            if name in variables:
                errors.add(f"variable-{n}", f"Variable {name} is listed twice.")
            variables[name] = row.text
            where.variables[name] = f"variable-{n}"
            where.texts.append((f"variable-{n}", row.text))
        if self.content_sid.strip():
            body["whatsapp_template"] = {
                "content_sid": self.content_sid.strip(),
                "variables": variables,
            }
        elif variables:
            errors.add("content_sid", "Template variables need the template's Content SID.")


class _Where:
    """Which field each part of the API body came from, to put a problem on its field."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.messages: list[str] = []
        self.modules: list[str] = []
        self.questions: dict[tuple[int, int], str] = {}
        self.variables: dict[str, str] = {}

    def field_of(self, loc: tuple[int | str, ...]) -> str:
        """The field a validation error's location points at."""
        head = loc[0] if loc else ""
        if head == "messages" and len(loc) > 1 and isinstance(loc[1], int):
            return self.messages[loc[1]] if loc[1] < len(self.messages) else "welcome"
        if head == "modules" and len(loc) > 1 and isinstance(loc[1], int):
            if len(loc) > 3 and loc[2] == "questions" and isinstance(loc[3], int):
                return self.questions.get((loc[1], loc[3]), "modules")
            return self.modules[loc[1]] if loc[1] < len(self.modules) else "modules"
        if head == "nudges":
            return "nudges_message" if "message" in loc else "nudges_after"
        if head == "whatsapp_template":
            if len(loc) > 2 and loc[1] == "variables":
                return self.variables.get(str(loc[2]), "content_sid")
            return "content_sid"
        if head in ("name", "kind", "channel", "subject", "expiry", "modules", "messages", "mode"):
            return {"messages": "welcome"}.get(str(head), str(head))
        return "definition"


def _pattern_rule(key: str) -> str:
    if key == "content_sid":
        return CONTENT_SID_RULE
    return VARIABLE_RULE if key.startswith("variable-") else IDENTIFIER_RULE


def _template_words(err: TemplateError) -> str:
    """A placeholder problem said to a recruiter."""
    if err.token is None:
        return str(err)
    if err.unknown:
        return f"{err.token} is not a placeholder: use the buttons above to insert one."
    return f"A lone '{err.token}': write {err.token * 2} to show a brace, or insert a placeholder."


def _duration(text: str, key: str, errors: FieldErrors) -> str:
    """``text`` as the ISO 8601 duration the API takes (``2h``, ``3 days`` and ``P3D`` all
    work), or the problem on field ``key``."""
    written = _friendly_duration(text.strip())
    try:
        why = too_long(parse_duration(written))
    except ValueError:
        errors.add(key, f"'{text.strip()}' is not a duration: write 2h, 3d or P7D.")
        return written
    if why:
        errors.add(key, why[:1].upper() + why[1:] + ("" if why.endswith(".") else "."))
    return written


def _parsed(written: str) -> timedelta | None:
    try:
        return parse_duration(written)
    except ValueError:
        return None


_FRIENDLY = re.compile(
    r"^(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)$", re.IGNORECASE
)


def _friendly_duration(text: str) -> str:
    """``2h`` → ``PT2H``, ``3 days`` → ``P3D``; anything else as it is."""
    found = _FRIENDLY.match(text)
    if found is None:
        return text
    number, unit = found.group(1), found.group(2)[0].lower()
    return {"m": f"PT{number}M", "h": f"PT{number}H", "d": f"P{number}D", "w": f"P{number}W"}[unit]


def _written(duration: timedelta) -> str:
    """A stored duration as it was written (``PT24H`` stays ``PT24H``)."""
    return format_duration(duration)
