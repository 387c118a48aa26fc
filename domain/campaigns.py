"""Campaigns: what gets sent to a candidate, as recruiters define them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.channels import ChannelKind
from domain.durations import Duration, capped, too_long
from domain.interview_messages import message_label
from domain.personalisation import TemplateError, check
from domain.questions import Question

DEFAULT_EXPIRY = timedelta(days=7)
#: Where a conversation's messages are numbered from (``domain.conversation``).
CONVERSATION_NUMBERS = 1000

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MessageText = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class CampaignKind(StrEnum):
    BLAST = "blast"
    MULTI_MODULE = "multi_module"


class ModuleType(StrEnum):
    CONTENT = "content"
    QUESTION = "question"
    SCHEDULE = "schedule"


class CampaignMode(StrEnum):
    #: The candidate works through the modules on their own page (``{link}``).
    LINK = "link"
    #: Each content block and question goes out as its own message; replies answer them.
    CONVERSATIONAL = "conversational"


MarkdownText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
VideoUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s<>\"']{1,2000}$")]


class CampaignModule(BaseModel):
    """One step of a multi-module campaign the candidate works through.

    Its content is optional: a module without any is hosted elsewhere and moves only by the
    progress webhook. A content module has a Markdown ``body`` (and a video link); a question
    module has its ``questions``; a schedule module has none (the stage's interview settings
    say how it books).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmpty
    name: NonEmpty
    type: ModuleType
    body: MarkdownText | None = None
    video_url: VideoUrl | None = None
    questions: Annotated[list[Question], Field(max_length=30)] = []

    @model_validator(mode="after")
    def _content_fits_its_type(self) -> Self:
        if self.type is not ModuleType.CONTENT and (self.body or self.video_url):
            raise ValueError(f"a {self.type} module has no body or video_url (content only)")
        if self.type is not ModuleType.QUESTION and self.questions:
            raise ValueError(f"a {self.type} module has no questions (question modules only)")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique within a module")
        return self

    @property
    def has_content(self) -> bool:
        """Whether the candidate's page (or chat) can take the candidate through it (a
        schedule module is booked on the page, from the stage's interviewers' free slots)."""
        return self.type is ModuleType.SCHEDULE or bool(
            self.body or self.video_url or self.questions
        )


ContentSid = Annotated[str, StringConstraints(pattern=r"^HX[0-9a-fA-F]{32}$")]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,50}$")]
VariableText = Annotated[str, StringConstraints(max_length=1024)]


class WhatsAppTemplate(BaseModel):
    """An approved WhatsApp template (Twilio Content API): it opens a conversation, where free
    text outside the 24 hours after the candidate's last reply is refused (error 63016)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content_sid: ContentSid
    #: The template's variables (``{"1": "{first_name}"}``); values may use placeholders.
    variables: Annotated[dict[VariableName, VariableText], Field(max_length=20)] = {}


class Nudges(BaseModel):
    """Reminders to a candidate who has not completed: the ``message`` at each offset after the
    welcome was delivered (``PT2H``, ``PT24H``...), never once the enrolment has ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Annotated[list[Duration], Field(min_length=1, max_length=10)]
    message: MessageText

    @model_validator(mode="after")
    def _later_and_later(self) -> Self:
        if any(b <= a for a, b in itertools.pairwise(self.after)):
            raise ValueError("nudge offsets must grow: each one later than the one before")
        return self


class Campaign(BaseModel):
    """A campaign definition.

    A blast is exactly one message. A multi-module campaign's first message is the welcome and
    any further ones close the campaign once every module is completed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NonEmpty
    kind: CampaignKind
    channel: ChannelKind
    messages: Annotated[list[MessageText], Field(min_length=1, max_length=20)]
    modules: Annotated[list[CampaignModule], Field(max_length=50)] = []
    #: How long after delivery the candidate has to complete (default ``DEFAULT_EXPIRY``).
    expiry: Duration | None = None
    #: The e-mail subject (default: the campaign's name).
    subject: NonEmpty | None = None
    whatsapp_template: WhatsAppTemplate | None = None
    nudges: Nudges | None = None
    #: ``False``: this campaign's messages go out at any hour (no quiet hours).
    quiet_hours: bool = True
    #: How the candidate works through the modules: on their page, or by replying in the chat.
    mode: CampaignMode = CampaignMode.LINK

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        if self.kind is CampaignKind.BLAST:
            if len(self.messages) != 1:
                raise ValueError("a blast has exactly one message")
            if self.modules:
                raise ValueError("a blast has no modules")
            if self.expiry is not None:
                raise ValueError("expiry applies to multi_module campaigns only")
            if self.nudges is not None:
                raise ValueError("nudges apply to multi_module campaigns only")
            if self.mode is not CampaignMode.LINK:
                raise ValueError("a blast has no mode (it is one message)")
        else:
            if not self.modules:
                raise ValueError("a multi_module campaign has at least one module")
            ids = [m.id for m in self.modules]
            if len(set(ids)) != len(ids):
                raise ValueError("module ids must be unique within a campaign")
        if self.mode is CampaignMode.CONVERSATIONAL and self.channel is ChannelKind.EMAIL:
            raise ValueError("conversational mode is for sms and whatsapp (e-mail has no replies)")
        return self

    @property
    def has_page(self) -> bool:
        """Whether the candidate has a page of their own for it (``{link}``): a campaign with
        module content (in conversational mode the chat hands over to it when answers do not
        fit, and a schedule module is booked there)."""
        return not self.is_blast and any(m.has_content for m in self.modules)

    @property
    def conversational(self) -> bool:
        return not self.is_blast and self.mode is CampaignMode.CONVERSATIONAL

    @property
    def effective_expiry(self) -> timedelta:
        """How long after delivery a multi-module enrolment may take before it expires."""
        return capped(self.expiry) if self.expiry is not None else DEFAULT_EXPIRY

    def definition_problems(self) -> list[tuple[str, str]]:
        """What a new definition may not hold, as ``(field path, why)``: a text using an
        unknown placeholder or unpaired braces, a duration over the limit.

        Checked where definitions come in (``PUT /campaigns``), not when one is read back:
        a campaign stored or snapshotted before a rule existed still loads (its texts are
        rendered leniently, its durations capped).
        """
        texts = [(f"messages.{n}", text) for n, text in enumerate(self.messages)]
        if self.subject is not None:
            texts.append(("subject", self.subject))
        if self.whatsapp_template is not None:
            texts += [
                (f"whatsapp_template.variables.{name}", text)
                for name, text in self.whatsapp_template.variables.items()
            ]
        for n, module in enumerate(self.modules):
            if module.body:
                texts.append((f"modules.{n}.body", module.body))
            texts += [
                (f"modules.{n}.questions.{q}.prompt", question.prompt)
                for q, question in enumerate(module.questions)
            ]
        durations = [("expiry", self.expiry)] if self.expiry is not None else []
        if self.nudges is not None:
            texts.append(("nudges.message", self.nudges.message))
            durations += [(f"nudges.after.{n}", d) for n, d in enumerate(self.nudges.after)]
        problems = []
        for where, text in texts:
            try:
                check(text)
            except TemplateError as err:
                problems.append((where, str(err)))
        problems += [(where, why) for where, d in durations if (why := too_long(d))]
        if not self.has_page:
            problems += [
                (where, "{link} needs a page: a campaign with module content")
                for where, text in texts
                if "{link}" in text.replace("{{", "")
            ]
        return problems

    @property
    def is_blast(self) -> bool:
        return self.kind is CampaignKind.BLAST

    def message_name(self, number: int, nudge_count: int | None = None) -> str:
        """What the ``number``-th message (1 = the first) is: ``message`` (a blast's one),
        ``welcome message``, ``closing message`` (``closing message 2 of 3`` when there are
        several) or ``nudge 2 of 4`` (nudges are numbered after the campaign's messages;
        ``nudge_count``: how many, when the campaign no longer says)."""
        closings = len(self.messages) - 1
        if (interview := message_label(number)) is not None:
            return interview
        if number >= CONVERSATION_NUMBERS:
            return "conversation message"
        if number > len(self.messages):
            count = len(self.nudges.after) if self.nudges is not None else nudge_count
            nudge = number - len(self.messages)
            return f"nudge {nudge} of {count}" if count else f"nudge {nudge}"
        if number == 1:
            return "message" if self.is_blast else "welcome message"
        return f"closing message {number - 1} of {closings}" if closings > 1 else "closing message"
