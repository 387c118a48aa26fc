"""A content module's body as HTML, safely: paragraphs, ``*emphasis*``, ``**strong**``,
``[links](https://…)`` and lists (``-`` or ``1.``); everything else is text, escaped. No raw
HTML passes, and a link goes only to ``https:``, ``http:`` or ``mailto:`` (opened without the
page as its opener)."""

from __future__ import annotations

import html
import re

from markupsafe import Markup

_LINK = re.compile(r"\[([^\]\n]{1,300})\]\(((?:https?://|mailto:)[^\s)<>\"']{1,2000})\)")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EM = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?!\w)|(?<!\w)_([^_\n]+)_(?!\w)")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")


def _inline(text: str) -> str:
    """One line's text, escaped, with its links and emphasis."""
    out: list[str] = []
    last = 0
    for found in _LINK.finditer(text):
        out.append(_emphasis(html.escape(text[last : found.start()])))
        label, url = found.group(1), found.group(2)
        out.append(
            f'<a href="{html.escape(url)}" rel="noopener noreferrer" target="_blank">'
            f"{_emphasis(html.escape(label))}</a>"
        )
        last = found.end()
    out.append(_emphasis(html.escape(text[last:])))
    return "".join(out)


def _emphasis(escaped: str) -> str:
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", escaped)


def render_markdown(text: str) -> Markup:
    """``text`` as safe HTML (see the module docstring)."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        for tag, marker in (("ul", _BULLET), ("ol", _NUMBERED)):
            items = [found.group(1) for line in lines if (found := marker.match(line))]
            if len(items) == len(lines):
                blocks.append(
                    f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{tag}>"
                )
                break
        else:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return Markup("".join(blocks))  # every piece of text above was escaped
