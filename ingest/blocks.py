"""A document's structure: headings, paragraphs and list items, with exact offsets.

Markdown and plain text are read line by line: ``#`` headings, list items (``-``, ``*``, ``•``,
``1.``...), thematic breaks and blank-line-separated paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from text.sentences import trim_end, trim_start

LIST_MARKER = r"(?:[-*+•▪◦‣·]|\d{1,3}[.)])"
"""A list item's marker: a bullet or a number of up to three digits followed by . or )."""

_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(rf"^[ \t]*{LIST_MARKER}[ \t]+(?=\S)")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


@dataclass(frozen=True)
class Block:
    """A structural unit of a document: ``kind`` is "heading", "paragraph" or "item"."""

    kind: str
    start: int
    end: int
    level: int = 0


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, without its newline."""
    start = 0
    for m in re.finditer(r"\n", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def parse_blocks(text: str) -> list[Block]:
    """Cut ``text`` (Markdown or plain text) into headings, paragraphs and list items."""
    blocks: list[Block] = []
    open_kind: str | None = None
    open_start = open_end = 0

    def close() -> None:
        nonlocal open_kind
        if open_kind is not None:
            blocks.append(Block(open_kind, open_start, trim_end(text, open_start, open_end)))
        open_kind = None

    for line_start, line_end in _lines(text):
        line = text[line_start:line_end]
        if not line.strip():
            close()
            continue
        if heading := _HEADING.match(line):
            close()
            t_start = line_start + heading.start("title")
            t_end = line_start + heading.end("title")
            if t_end > t_start:
                blocks.append(Block("heading", t_start, t_end, level=len(heading.group(1))))
            continue
        if _RULE.match(line):
            close()
            continue
        if item := _ITEM.match(line):
            close()
            open_kind, open_start, open_end = "item", line_start + item.end(), line_end
            continue
        if open_kind is None:
            open_kind = "paragraph"
            open_start = trim_start(text, line_start, line_end)
        open_end = line_end
    close()
    return blocks


def first_heading(text: str) -> str | None:
    """The text of the first ``#`` heading of ``text``, if it has one."""
    for line_start, line_end in _lines(text):
        if (heading := _HEADING.match(text, line_start, line_end)) and heading.group("title"):
            return heading.group("title")
    return None
