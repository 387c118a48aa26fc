"""Personalised text: the placeholders a campaign's texts may use, and the one renderer.

A text is parsed, never handed to ``str.format``: ``{first_name}`` and the other names in
``PLACEHOLDERS`` are replaced by values from the enrolment's snapshot, ``{{`` and ``}}`` stand for
literal braces, and anything else in braces (an unknown name, an attribute or format spec, a
lone brace) is a ``TemplateError``, which ``PUT /campaigns`` answers with a 422. A value is
inserted as it is: a candidate called ``{job_name}`` is greeted as ``{job_name}``. Rendering
never fails (what it cannot render stays as written); checking is for new definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The placeholder names a text may use, and what each stands for.
PLACEHOLDERS: dict[str, str] = {
    "first_name": "the candidate's first name",
    "candidate_name": "the candidate's full name",
    "job_name": "the job's name",
    "stage_name": "the stage's name",
    "campaign_name": "the campaign's name",
    "link": "the candidate's own link to the campaign's page",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """A text uses a placeholder that does not exist, or braces that do not pair up:
    ``token`` is what it wrote, ``unknown`` whether it is a name no placeholder has."""

    def __init__(self, message: str, token: str | None = None, unknown: bool = False) -> None:
        super().__init__(message)
        self.token = token
        self.unknown = unknown


@dataclass(frozen=True)
class Personalisation:
    """The values the placeholders take for one enrolment."""

    candidate_name: str
    job_name: str
    stage_name: str
    campaign_name: str
    #: The candidate's personal link (empty when the campaign has no page).
    link: str = ""

    @property
    def first_name(self) -> str:
        """The first word of the candidate's name (the whole name if it has one word)."""
        words = self.candidate_name.split()
        return words[0] if words else ""

    def value(self, placeholder: str) -> str:
        value: str = getattr(self, placeholder)
        return value


def check(text: str) -> None:
    """Raise ``TemplateError`` unless ``text`` uses only known placeholders and paired braces."""
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise TemplateError(
                f"unpaired {token!r} at position {match.start()}: write {token * 2} for a brace",
                token,
            )
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise TemplateError(f"unknown placeholder {token!r}; use one of {known}", token, True)


def render(text: str, values: Personalisation) -> str:
    """``text`` with its placeholders replaced by ``values``.

    Never fails: a text that did not pass ``check`` (stored before the rule, or a campaign name
    used as a subject) keeps what it cannot render as written.
    """

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values.value(name) if name in PLACEHOLDERS else token

    return _TOKEN.sub(replace, text)
