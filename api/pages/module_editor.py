"""A campaign's modules in the campaign editor: each module a row (its name, type and id), with
what the candidate gets in it: a content module's Markdown and video link, a question module's
questions as rows of their own (prompt, kind of answer, options, required, knockout answers).

A question row names the module row it belongs to by that row's key (rows move, so their
positions cannot); both lists post in the page's order.
"""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import Any

from pydantic import BaseModel

from api.pages.forms import FieldErrors, Posted, row_id
from domain.campaigns import CampaignModule, ModuleType
from domain.questions import CHOICES, AnswerKind


class QuestionFields(BaseModel):
    """One question as its row shows it (options and knockout answers one per line)."""

    id: str = ""
    prompt: str = ""
    answer: str = AnswerKind.CHOICE.value
    options: str = ""
    required: bool = True
    knockout: str = ""


class ModuleFields(BaseModel):
    """One module as its row shows it; ``key`` ties its question rows to it."""

    key: str = ""
    id: str = ""
    name: str = ""
    type: str = ModuleType.QUESTION.value
    body: str = ""
    video_url: str = ""
    questions: list[QuestionFields] = []

    @classmethod
    def of(cls, key: str, module: CampaignModule) -> ModuleFields:
        return cls(
            key=key,
            id=module.id,
            name=module.name,
            type=module.type.value,
            body=module.body or "",
            video_url=module.video_url or "",
            questions=[
                QuestionFields(
                    id=q.id,
                    prompt=q.prompt,
                    answer=q.answer.value,
                    options="\n".join(q.options),
                    required=q.required,
                    knockout="\n".join(q.knockout),
                )
                for q in module.questions
            ],
        )


def posted_modules(form: Posted) -> list[ModuleFields]:
    """The module rows as posted, each with the question rows that name its key."""
    modules = [
        ModuleFields(key=key, id=i, name=n, type=t, body=b, video_url=v)
        for key, i, n, t, b, v in zip_longest(
            form.many("module_key"),
            form.many("module_id"),
            form.many("module_name"),
            form.many("module_type"),
            form.many("module_body"),
            form.many("module_video"),
            fillvalue="",
        )
    ]
    by_key = {m.key: m for m in modules if m.key}
    for owner, i, p, a, o, r, k in zip_longest(
        form.many("question_module"),
        form.many("question_id"),
        form.many("question_prompt"),
        form.many("question_answer"),
        form.many("question_options"),
        form.many("question_required"),
        form.many("question_knockout"),
        fillvalue="",
    ):
        module = by_key.get(owner)
        if module is not None:
            module.questions.append(
                QuestionFields(
                    id=i, prompt=p, answer=a, options=o, required=r != "optional", knockout=k
                )
            )
    return modules


def labels(modules: list[ModuleFields]) -> dict[str, str]:
    """Each module's and question's field label, in the page's order."""
    found: dict[str, str] = {}
    for n, module in enumerate(modules):
        found[f"module-{n}"] = f"Module {n + 1}"
        for q in range(len(module.questions)):
            found[f"question-{n}-{q}"] = f"Module {n + 1}, question {q + 1}"
    return found


def module_definitions(
    modules: list[ModuleFields], errors: FieldErrors
) -> tuple[list[dict[str, Any]], list[str], dict[tuple[int, int], str]]:
    """The API's modules, the field of each module, and the field of each question (by the
    module's and the question's place in the definition)."""
    definitions: list[dict[str, Any]] = []
    fields: list[str] = []
    question_fields: dict[tuple[int, int], str] = {}
    taken: set[str] = set()
    for n, row in enumerate(modules):
        if not (row.id.strip() or row.name.strip()):
            continue  # an empty row the page added and nobody filled in
        module_id = row_id(row.id, row.name, taken, "module")
        if module_id in taken:
            errors.add(f"module-{n}", f"Another module has the id '{module_id}': ids differ.")
        taken.add(module_id)
        definition: dict[str, Any] = {"id": module_id, "name": row.name, "type": row.type}
        if row.type == ModuleType.CONTENT.value:
            if row.body.strip():
                definition["body"] = row.body
            if row.video_url.strip():
                definition["video_url"] = row.video_url.strip()
        elif row.type == ModuleType.QUESTION.value:
            definition["questions"] = _questions(row, n, len(definitions), question_fields)
        definitions.append(definition)
        fields.append(f"module-{n}")
    return definitions, fields, question_fields


def _questions(
    row: ModuleFields, n: int, place: int, question_fields: dict[tuple[int, int], str]
) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    taken: set[str] = set()
    for q, question in enumerate(row.questions):
        if not (question.prompt.strip() or question.id.strip()):
            continue
        question_id = row_id(question.id, question.prompt, taken, "question")[:64]
        taken.add(question_id)
        definition: dict[str, Any] = {
            "id": question_id,
            "prompt": question.prompt,
            "answer": question.answer,
            "required": question.required,
        }
        options = _lines(question.options) if question.answer in CHOICES else ["yes", "no"]
        if question.answer in CHOICES:
            definition["options"] = options
        # A knockout answer is written as its option reads, whatever the case it was typed in.
        spelled = {o.casefold(): o for o in options}
        knockout = [spelled.get(k.casefold(), k) for k in _lines(question.knockout)]
        if knockout:
            definition["knockout"] = knockout
        question_fields[(place, len(questions))] = f"question-{n}-{q}"
        questions.append(definition)
    return questions


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]
