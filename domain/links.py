"""The candidate's personal link: ``<public URL>/c/<token>``, the key to their own page.

The token is at least 128 random bits (made at the edge, where an enrolment is asked for:
``services.candidate_links``), travels to the workflow inside the encrypted enrolment request,
and reaches the read model only as its SHA-256: the page finds the enrolment by hashing the
token it is given. It is revoked when the enrolment is re-enrolled or the candidate erased.
What the product keeps of a message that carried it (the message ledger, the recruiter's
pages) shows the link without its token.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict

#: The path the candidate's pages live under.
PATH = "/c/"
#: What stands for the token where a sent message is kept.
HIDDEN = "…"


class CandidateLink(BaseModel):
    """One enrolment's link: the URL the candidate gets, and the hash the page looks it up by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    token_hash: str

    def hidden(self, text: str) -> str:
        """``text`` with the link's token replaced (what the product keeps of a message)."""
        base, _, _ = self.url.rpartition("/")
        return text.replace(self.url, f"{base}/{HIDDEN}")


def token_hash(token: str) -> str:
    """How the read model knows a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()
