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

# Every pattern here runs on each line of a document, so each must be linear in the line's
# length: possessive quantifiers (``*+``, ``++``) never give back what they matched, and the
# heading's closing sequence and thematic breaks are read with string methods, not a pattern
# with adjacent quantifiers over the same characters (``[ \t]*#*[ \t]*$`` after a lazy ``.*?``
# took 32 s on one line of 2,000 spaces).
_HEADING_OPEN = re.compile(r"[ \t]{0,3}+(#{1,6})[ \t]++")
_ITEM = re.compile(rf"[ \t]*+{LIST_MARKER}[ \t]++(?=\S)")
_SPACE_OR_TAB = " \t"


@dataclass(frozen=True)
class Block:
    """A structural unit of a document: ``kind`` is "heading", "paragraph" or "item"."""

    kind: str
    start: int
    end: int
    level: int = 0


def heading_at(text: str, start: int, end: int) -> tuple[int, int, int] | None:
    """(level, title start, title end) when ``text[start:end]`` (one line) is a ``#`` heading.

    The title leaves out the optional closing sequence of ``#`` and the spaces around it; it may
    be empty (``#`` alone followed by spaces).
    """
    opening = _HEADING_OPEN.match(text, start, end)
    if opening is None:
        return None
    title_start = opening.end()
    title = text[title_start:end].rstrip(_SPACE_OR_TAB).rstrip("#").rstrip(_SPACE_OR_TAB)
    return len(opening.group(1)), title_start, title_start + len(title)


def is_thematic_break(line: str) -> bool:
    """``---``, ``* * *``, ``___``...: three or more of one of ``-*_``, spaces between, indented
    at most three columns."""
    body = line.lstrip(_SPACE_OR_TAB)
    if len(line) - len(body) > 3 or not body:
        return False
    mark = body[0]
    return mark in "-*_" and body.count(mark) >= 3 and not body.strip(mark + _SPACE_OR_TAB)


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
        if heading := heading_at(text, line_start, line_end):
            close()
            level, t_start, t_end = heading
            if t_end > t_start:
                blocks.append(Block("heading", t_start, t_end, level=level))
            continue
        if is_thematic_break(line):
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
        if (heading := heading_at(text, line_start, line_end)) and heading[2] > heading[1]:
            return text[heading[1] : heading[2]]
    return None
