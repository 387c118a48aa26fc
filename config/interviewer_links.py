"""The interviewers' own links (``domain.interviewer_links``) under this deployment's secret:
``ENROLMENTS_INTERVIEWER_LINK_SECRET``, else a random key kept in the data folder."""

from __future__ import annotations

from config.private_files import kept_secret
from config.settings import Settings
from domain.interviewer_links import PATH, interviewer_token
from domain.links import token_hash

#: Where the interviewer link key is kept when none is configured.
KEY_FILE = "interviewer-links.key"


def _secret(settings: Settings) -> bytes:
    if settings.interviewer_link_secret is not None:
        return settings.interviewer_link_secret.get_secret_value().encode()
    return kept_secret(settings.data_dir / KEY_FILE).encode()


def interviewer_link(settings: Settings, interviewer_id: str) -> str:
    """The URL of the interviewer's availability page."""
    return f"{settings.public_base}{PATH}{interviewer_token(_secret(settings), interviewer_id)}"


def interviewer_link_hash(settings: Settings, interviewer_id: str) -> str:
    """What the read model knows the link by."""
    return token_hash(interviewer_token(_secret(settings), interviewer_id))
