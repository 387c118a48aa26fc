"""Interviewers as an admin configures them: who they are, where their day is, and where their
calendar's busy times can be read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from domain.addresses import AddressProblem, normalise_email
from domain.candidates import TimeZoneName

#: Feeds are read over HTTP(S); ``webcal://`` is how Outlook and Apple publish the same URL.
FEED_SCHEMES = ("https://", "http://", "webcal://")


def _an_email(value: str) -> str:
    try:
        return normalise_email(value)
    except AddressProblem as err:
        raise ValueError("not an e-mail address such as 'ana@example.com'") from err


def _a_feed_url(value: str) -> str:
    lowered = value.lower()
    if not lowered.startswith(FEED_SCHEMES) or len(value) <= len("https://"):
        raise ValueError("a calendar feed is an https:// (or webcal://) address of an .ics file")
    if any(c.isspace() for c in value):
        raise ValueError("a calendar feed address has no spaces")
    return value


def feed_address(url: str) -> str:
    """The address a feed is fetched from (``webcal://`` is HTTPS by convention)."""
    if url.lower().startswith("webcal://"):
        return "https://" + url[len("webcal://") :]
    return url


class InterviewerProfile(BaseModel):
    """``PUT /interviewers/{id}``: an interviewer, with the secret address of their calendar
    (Google Calendar's and Outlook's published ``.ics``), read for busy times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    email: Annotated[str, StringConstraints(max_length=320), AfterValidator(_an_email)]
    timezone: TimeZoneName
    calendar_ics_url: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=2000),
            AfterValidator(_a_feed_url),
        ]
        | None
    ) = None
