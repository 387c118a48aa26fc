"""Making a candidate's personal link, where an enrolment is asked for (an ATS event, a
re-enrolment): at least 128 random bits from the operating system's generator, as a URL-safe
token under ``<public URL>/c/``. Only its hash reaches the read model (``domain.links``).
"""

from __future__ import annotations

import secrets

from config.settings import Settings
from domain.links import PATH, CandidateLink, token_hash

#: Random bytes in a token: 128 bits, 22 URL-safe characters (a link fits one SMS segment
#: with a 30-character host).
TOKEN_BYTES = 16


def new_link(settings: Settings) -> CandidateLink:
    """A fresh link for one enrolment (the workflow keeps it only if the campaign has a page)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return CandidateLink(url=f"{settings.public_base}{PATH}{token}", token_hash=token_hash(token))
