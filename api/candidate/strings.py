"""What the candidate's pages say, one file per language (``strings/<language>.json``), and
which language a visitor reads: the one they ask for (``?lang=``), else the first their
browser prefers that we have, else English."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "strings"
#: Every language the pages speak, by its code.
STRINGS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(HERE.glob("*.json"))
}
DEFAULT = "en"


def language(asked: str | None, accept_language: str | None) -> str:
    """The language to answer in: ``asked`` if we speak it, else the best of the browser's
    ``Accept-Language`` we speak (``es-MX`` reads Spanish), else English."""
    if asked in STRINGS:
        return asked
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower().split("-")[0]))
    for _, code in sorted(ranked, key=lambda r: -r[0]):
        if code in STRINGS:
            return code
    return DEFAULT


class Words:
    """One language's strings: ``words("step", n=2, total=4)``."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._strings = STRINGS[code]

    def __call__(self, key: str, **values: object) -> str:
        text: Any = self._strings
        for part in key.split("."):
            text = text[part]
        return str(text).format(**values)

    def day(self, moment: datetime) -> str:
        """``moment``'s date as people write it (``Tuesday 8 December``), in this language."""
        return self(
            "day",
            weekday=self._strings["weekdays"][moment.weekday()],
            day=moment.day,
            month=self._strings["months"][moment.month - 1],
        )
