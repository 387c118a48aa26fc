"""What a question module asks, and what a candidate's answer is: the one place that reads an
answer, whether it comes from the candidate's page (a form field) or from a reply in the chat
(free text: ``2``, ``Yes!``, ``sí``, ``12/03/2027``).

Pure: the edge reads answers with it to refuse a bad one (422, nothing stored), and the
workflow reads them with it again before it records them, so both always agree.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

QuestionId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: The longest answer kept (a text answer; longer is refused, not cut).
MAX_ANSWER_CHARS = 2000
YES, NO = "yes", "no"
#: How people say yes and no in a chat (case, accents and punctuation ignored).
_YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "si", "s", "claro"})
_NO_WORDS = frozenset({"no", "n", "nope", "nah", "not"})


class AnswerKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    NUMBER = "number"
    DATE = "date"


#: Kinds whose answers are picked from ``options``.
CHOICES = frozenset({AnswerKind.CHOICE, AnswerKind.MULTI_CHOICE})
#: Kinds a ``knockout`` answer may be given for.
KNOCKABLE = CHOICES | {AnswerKind.YES_NO}

#: An answer as kept: text, a number, an ISO date, yes/no, or the options picked.
AnswerValue = str | int | float | list[str]


class Question(BaseModel):
    """One question of a question module."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: QuestionId
    prompt: Prompt
    answer: AnswerKind
    options: Annotated[list[Option], Field(max_length=20)] = []
    required: bool = True
    #: Answers that end the campaign (``completed``, ``knocked_out``).
    knockout: Annotated[list[Option], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        if self.answer in CHOICES:
            if len(self.options) < 2:
                raise ValueError("a choice question has at least two options")
            if len({o.casefold() for o in self.options}) != len(self.options):
                raise ValueError("a choice question's options differ from each other")
        elif self.options:
            raise ValueError(f"options apply to choice questions only, not {self.answer}")
        if self.knockout:
            if self.answer not in KNOCKABLE:
                raise ValueError("knockout answers apply to choice and yes_no questions only")
            allowed = self.options if self.answer in CHOICES else [YES, NO]
            unknown = [k for k in self.knockout if k not in allowed]
            if unknown:
                raise ValueError(f"knockout answers must be among {allowed}: {unknown}")
        return self

    def knocks_out(self, value: AnswerValue) -> bool:
        """Whether ``value`` (as ``read_answer`` returns it) ends the campaign."""
        picked = value if isinstance(value, list) else [value]
        return any(p in self.knockout for p in picked)


#: What each problem with an answer says, in the API's words (``code`` → English; the
#: candidate's pages and chat say it in the candidate's language from the same codes).
HINTS = {
    "required": "This question needs an answer.",
    "too_long": f"Keep it under {MAX_ANSWER_CHARS} characters.",
    "text": "Write your answer as text.",
    "yes_no": "Answer yes or no.",
    "number": "Answer with a number, like 3 or 2.5.",
    "date": "Answer with a date, like 2027-03-14 or 14/03/2027.",
    "choose_one": "Choose one of the options.",
    "choose": "Choose from the options.",
    "choose_number": "Reply with the number of an option.",
    "unknown": "The module has no such question.",
}


class AnswerProblem(ValueError):
    """An answer that does not fit its question: ``code`` names what would (``HINTS``)."""

    def __init__(self, code: str) -> None:
        super().__init__(HINTS[code])
        self.code = code
        self.hint = HINTS[code]


def read_answer(question: Question, given: object, *, chat: bool = False) -> AnswerValue | None:
    """``given`` as ``question`` takes it (``None``: no answer). Raises ``AnswerProblem``.

    A form posts a string (a list for several options); the JSON API may post a number or a
    list. ``chat``: a reply typed in a chat, read leniently (a choice by its number or words,
    yes/no in everyday words, several options separated by commas).
    """
    if given is None or given == "" or given == []:
        if question.required:
            raise AnswerProblem("required")
        return None
    kind = question.answer
    if kind is AnswerKind.TEXT:
        return _text(given)
    if kind is AnswerKind.YES_NO:
        return _yes_no(given)
    if kind is AnswerKind.NUMBER:
        return _number(given)
    if kind is AnswerKind.DATE:
        return _date(given)
    picked = _picked(question, given, chat)
    if kind is AnswerKind.CHOICE and len(picked) != 1:
        raise AnswerProblem("choose_one")
    return picked[0] if kind is AnswerKind.CHOICE else picked


def _text(given: object) -> str:
    if not isinstance(given, str):
        raise AnswerProblem("text")
    text = "".join(c for c in given if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if not text:
        raise AnswerProblem("required")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerProblem("too_long")
    return text


def _words(text: str) -> str:
    """``text`` folded for comparing: lower case, no accents, no punctuation."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", folded).strip()


def _yes_no(given: object) -> str:
    if isinstance(given, bool):
        return YES if given else NO
    if isinstance(given, str):
        words = _words(given).split()
        if words and words[0] in _YES_WORDS:
            return YES
        if words and words[0] in _NO_WORDS:
            return NO
    raise AnswerProblem("yes_no")


def _number(given: object) -> int | float:
    if isinstance(given, bool):
        raise AnswerProblem("number")
    if isinstance(given, int | float):
        number = float(given)
    elif isinstance(given, str):
        found = re.fullmatch(r"\s*([-+]?\d+(?:[.,]\d+)?)\s*\w*\s*", given.replace("\u00a0", ""))
        if found is None:
            raise AnswerProblem("number")
        number = float(found.group(1).replace(",", "."))
    else:
        raise AnswerProblem("number")
    if number != number or abs(number) > 1e12:  # NaN, or absurd
        raise AnswerProblem("number")
    return int(number) if number.is_integer() else number


_DATE_FORMATS = (
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    r"(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})",
)


def _date(given: object) -> str:
    if isinstance(given, str):
        for pattern in _DATE_FORMATS:
            found = re.fullmatch(pattern, given.strip())
            if found is not None:
                try:
                    day = date(int(found["y"]), int(found["m"]), int(found["d"]))
                except ValueError:
                    break
                return day.isoformat()
    raise AnswerProblem("date")


def _picked(question: Question, given: object, chat: bool) -> list[str]:
    """The options ``given`` names: each by its text, or in a chat by its number too."""
    if isinstance(given, str):
        whole = _words(given) in {_words(o) for o in question.options}
        parts = [given] if whole or not chat else _separate(given)
    elif isinstance(given, list) and all(isinstance(g, str) for g in given):
        parts = list(given)
    else:
        raise AnswerProblem("choose")
    by_words = {_words(o): o for o in question.options}
    picked: list[str] = []
    for part in parts:
        key = _words(part)
        if chat and key.isdigit() and 1 <= int(key) <= len(question.options):
            option = question.options[int(key) - 1]
        else:
            option = by_words.get(key, "")
        if not option:
            raise AnswerProblem("choose_number" if chat else "choose")
        if option not in picked:
            picked.append(option)
    if not picked:
        raise AnswerProblem("choose_number" if chat else "choose")
    return [o for o in question.options if o in picked]


def _separate(reply: str) -> list[str]:
    """A chat reply naming several options: ``1, 3``, ``1 and 3``, ``1 y 3``, ``1 3``."""
    parts = [p for p in re.split(r"[,;/]|\band\b|\by\b", reply) if p.strip()]
    if len(parts) == 1 and all(w.isdigit() for w in parts[0].split()):
        return parts[0].split()
    return parts


def numbered(question: Question) -> str:
    """A question as a chat message: the prompt, then its options numbered."""
    lines = [question.prompt]
    lines += [f"{n}. {option}" for n, option in enumerate(question.options, start=1)]
    if question.answer is AnswerKind.YES_NO:
        lines.append("(yes / no)")
    return "\n".join(lines)


def read_answers(
    questions: list[Question], given: dict[str, object], *, chat: bool = False
) -> tuple[dict[str, AnswerValue], dict[str, AnswerProblem]]:
    """Every answer of a module read at once: ``(answers, problems)``, each by question id.
    An answer to a question the module does not have is a problem too (nothing is dropped
    silently)."""
    answers: dict[str, AnswerValue] = {}
    problems: dict[str, AnswerProblem] = {}
    known = {q.id for q in questions}
    for question_id in given:
        if question_id not in known:
            problems[question_id] = AnswerProblem("unknown")
    for question in questions:
        try:
            value = read_answer(question, given.get(question.id), chat=chat)
        except AnswerProblem as problem:
            problems[question.id] = problem
            continue
        if value is not None:
            answers[question.id] = value
    return answers, problems


class Answer(BaseModel):
    """One answer a candidate gave, as the enrolment keeps it (projected with the timeline
    entry of its module's completion, then dropped from the workflow's state)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    module_id: str
    question_id: str
    prompt: str
    value: AnswerValue
    answered_at: datetime
