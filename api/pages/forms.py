"""What the admin forms share: the CSRF check of a posted form, who may save, problems kept by
field and said in a recruiter's words, and rendering a form page with them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from api.access import CSRF_FIELD, SESSION_COOKIE, Access, Caller, csrf_ok
from api.dependencies import ApiContext
from api.templating import page_context, templates
from domain.access import Role

Model = TypeVar("Model", bound=BaseModel)

#: An id (of a campaign, a job) as the API takes it in a path, and as a form can type it.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


#: What an id may hold, said to a person.
IDENTIFIER_RULE = (
    "Use letters, digits, '.', '_' or '-' (up to 200), starting with a letter or digit."
)


@dataclass
class FieldErrors:
    """A form's problems, each on its field (``key``: the field's id without ``field-``), in
    the order found. The page shows each next to its field and all of them in a summary."""

    labels: dict[str, str] = field(default_factory=dict)
    _found: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, message: str) -> None:
        said = self._found.setdefault(key, [])
        if message not in said:
            said.append(message)

    def add_model(self, model: FieldErrors, checked_here: frozenset[str] = frozenset()) -> None:
        """Add the model's problems (the API's rules), except where the form said it first:
        on ``checked_here`` fields the form's own check has found (a duration it could not
        read), and rules about the whole definition once any field has a problem (the form
        checks those on their fields)."""
        said = set(self._found)
        for key, _, message in model:
            if key == "definition" and said:
                continue
            if key in checked_here and key in said:
                continue
            self.add(key, message)

    def of(self, key: str) -> list[str]:
        return self._found.get(key, [])

    def __bool__(self) -> bool:
        return bool(self._found)

    def __len__(self) -> int:
        return sum(len(messages) for messages in self._found.values())

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        """``(key, the field's label, message)`` for every problem, in the order of the
        fields in ``labels`` (the page's order)."""
        order = {key: n for n, key in enumerate(self.labels)}
        for key in sorted(self._found, key=lambda k: order.get(k, len(order))):
            for message in self._found[key]:
                yield key, self.labels.get(key, key), message


class Posted:
    """A posted form's fields: one value, or a row field's values in the page's order."""

    def __init__(self, form: FormData) -> None:
        self._form = form

    def one(self, name: str) -> str:
        value = self._form.get(name)
        return value if isinstance(value, str) else ""

    def many(self, name: str) -> list[str]:
        return [v for v in self._form.getlist(name) if isinstance(v, str)]


def row_id(typed: str, name: str, taken: set[str], fallback: str) -> str:
    """A row's id (a module's, a stage's): as typed, or made from its name (``Phone screen``
    → ``phone-screen``, ``phone-screen-2`` when taken). Ids are what webhooks and ATS events
    name, so a stored one is never changed by renaming."""
    if typed.strip():
        return typed.strip()
    made = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or fallback
    unique, n = made, 2
    while unique in taken:
        unique, n = f"{made}-{n}", n + 1
    return unique


def in_words(error: ErrorDetails, pattern_rule: str = IDENTIFIER_RULE) -> str:
    """What a pydantic error says, as a sentence for a recruiter (``pattern_rule``: what a
    field with a pattern must hold)."""
    kind, context = error["type"], error.get("ctx", {})
    if kind in ("missing", "string_too_short"):
        return "Fill this in."
    if kind == "string_too_long":
        return f"Too long: at most {context.get('max_length')} characters."
    if kind == "too_long":
        return f"Too many: at most {context.get('max_length')}."
    if kind == "too_short":
        return f"Add at least {context.get('min_length')}."
    if kind == "string_pattern_mismatch":
        return pattern_rule
    if kind in ("enum", "literal_error"):
        return "Choose one of the options."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def validated(
    model: type[Model],
    body: dict[str, Any],
    errors: FieldErrors,
    field_of: Callable[[tuple[int | str, ...]], str],
    pattern_rule: Callable[[str], str] = lambda key: IDENTIFIER_RULE,
    checked_here: frozenset[str] = frozenset(),
) -> Model | None:
    """``body`` as ``model`` (the API's own), or ``None`` with every problem added to
    ``errors`` on the field ``field_of`` its location (``FieldErrors.add_model``); ``None`` too
    when the form's own checks already found something."""
    try:
        made = model.model_validate(body)
    except ValidationError as err:
        found = FieldErrors()
        for error in err.errors():
            key = field_of(tuple(error["loc"]))
            found.add(key, in_words(error, pattern_rule(key)))
        errors.add_model(found, checked_here)
        return None
    return None if errors else made


def new_id_problem(errors: FieldErrors, key: str, value: str, new: bool) -> None:
    """An id typed for a new campaign or job must be one the API's paths take."""
    if new and not IDENTIFIER.match(value):
        errors.add(key, IDENTIFIER_RULE)


def csrf_refused(request: Request, form: dict[str, str]) -> Response | None:
    """403 for a form a signed-in browser posted without the session's CSRF token."""
    caller: Caller | None = getattr(request.state, "caller", None)
    access: Access = request.app.state.access
    cookie = request.cookies.get(SESSION_COOKIE)
    if (
        caller is not None
        and caller.by_cookie
        and not csrf_ok(access, caller, cookie, form.get(CSRF_FIELD))
    ):
        return Response("a missing or wrong CSRF token", status_code=403)
    return None


def may_save(request: Request) -> bool:
    caller: Caller | None = getattr(request.state, "caller", None)
    return caller is None or caller.principal.may(frozenset({Role.ADMIN}))


def render_form(
    request: Request,
    context: ApiContext,
    template: str,
    values: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """An admin form page: ``values`` (the form, its errors, its choices) and whether the
    caller may save it."""
    return templates.TemplateResponse(
        request,
        template,
        {**page_context(request, context), **values, "may_save": may_save(request)},
        status_code=status_code,
    )
