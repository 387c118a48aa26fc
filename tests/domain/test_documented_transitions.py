"""The README shows the very transition table the code enforces."""

from __future__ import annotations

from pathlib import Path

from domain.statuses import transitions_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_transition_table_is_the_code_table() -> None:
    text = README.read_text()
    documented = text.split("<!-- transitions:start -->\n", 1)[1].split("\n<!-- transitions:end")[0]
    assert documented == transitions_markdown()
