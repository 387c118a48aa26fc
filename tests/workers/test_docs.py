"""The documents a clone carries point only at what a clone has, and say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workers.demo_company import description

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


def test_the_readme_describes_the_demo_that_loads() -> None:
    """The README's words about ``--demo`` are the demo company's own description."""
    text = (ROOT / "README.md").read_text()
    documented = text.split("<!-- demo:start -->\n", 1)[1].split("\n<!-- demo:end", 1)[0]

    assert documented == description()
