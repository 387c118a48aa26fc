"""Who may do what: roles, and the shape of an API key.

An API key reads ``enr_<id>_<secret>``: the prefix makes a leaked key recognisable (secret
scanners, logs), the id names the key in listings and audit entries, and only a hash of the
whole key is stored. ``admin`` may do everything; ``recruiter`` reads the views and the UI and
acts on enrolments; ``ats`` feeds ``/ats/*`` and the webhooks that have no signing secret.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

KEY_PREFIX = "enr_"
_KEY = re.compile(r"enr_([a-z0-9]{12})_([A-Za-z0-9_-]{32,64})")


class Role(StrEnum):
    ADMIN = "admin"
    RECRUITER = "recruiter"
    ATS = "ats"


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: a key (its id and name) and its role."""

    key_id: str
    name: str
    role: Role

    def may(self, roles: frozenset[Role]) -> bool:
        """Whether this principal holds one of ``roles`` (an admin holds every role)."""
        return self.role is Role.ADMIN or self.role in roles

    @property
    def actor(self) -> str:
        """How audit entries name this principal."""
        return f"{self.name} ({self.key_id}, {self.role})"


def key_id_of(key: str) -> str | None:
    """The id part of a key of our shape, or ``None``."""
    found = _KEY.fullmatch(key)
    return found.group(1) if found else None


def key_hash(key: str) -> str:
    """What is stored of a key: SHA-256 (a key is 190+ random bits: no slow hash needed)."""
    return hashlib.sha256(key.encode()).hexdigest()
