"""The documents a clone carries point only at what a clone has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ["README.md", "bench/README.md", "docs/API.md"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_relative_link_leads_to_a_file_of_the_repository(document: str) -> None:
    text = (ROOT / document).read_text()
    links = re.findall(r"\]\(([^)#\s]+)", text)
    relative = [link for link in links if not re.match(r"^[a-z]+:", link)]

    missing = [link for link in relative if not (ROOT / document).parent.joinpath(link).exists()]

    assert missing == []
    assert "../shared" not in text, "a clone has no ../shared"
