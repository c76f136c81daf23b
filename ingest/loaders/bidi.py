"""Visual to logical order for one line of mixed Arabic/Latin text (the Unicode bidi algorithm,
run backwards), for text extracted from drawn glyphs such as a PDF's.

A line's units (glyphs, spaces) come in visual order, left to right. :func:`visual_to_logical`
resolves the bidi levels of a paragraph of the given direction and applies rule L2, which is its
own inverse: applied to the visual order with the same levels it gives back the logical order.
"""

from __future__ import annotations

import re
import unicodedata

from text.script import ARABIC_LETTER_RANGES, LATIN_LETTER, LATIN_LETTER_RANGES

_RTL_CHAR = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
RTL_LETTER = re.compile(f"[\u05d0-\u05ea{ARABIC_LETTER_RANGES}]")
"""A right-to-left letter: Hebrew or Arabic script."""
_STRONG_LETTER = re.compile(f"[\u05d0-\u05ea{ARABIC_LETTER_RANGES}{LATIN_LETTER_RANGES}]")

MIRRORED = {
    "(": ")",
    ")": "(",
    "[": "]",
    "]": "[",
    "{": "}",
    "}": "{",
    "<": ">",
    ">": "<",
    "«": "»",
    "»": "«",
}
"""Brackets a right-to-left run draws mirrored (rule L4)."""


def is_rtl(ch: str) -> bool:
    """True for a right-to-left character."""
    return unicodedata.bidirectional(ch) in ("R", "AL") or bool(_RTL_CHAR.match(ch))


def bidi_type(text: str) -> str:
    """ "L", "R", "N" (a number) or "O" (neutral) for one glyph's text."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
        if kind in ("EN", "AN"):
            return "N"
    return "O"


def visual_to_logical(units: list[str], rtl: bool) -> list[str]:
    """Put one line's units from visual (left-to-right) order into logical order.

    The levels of the Unicode bidi algorithm for a paragraph of direction ``rtl`` (strong types,
    numbers, neutrals resolved by their neighbours), then rule L2. L2 reverses nested runs, so
    applied to the visual order with the same levels it gives back the logical order. Brackets
    in right-to-left runs are mirrored back (rule L4).
    """
    base = 1 if rtl else 0
    types = [bidi_type(u) for u in units]
    strong_before = _nearest(types, ("L", "R"), reverse=False)
    strong_after = _nearest(types, ("L", "R"), reverse=True)
    levels = [0] * len(units)
    for i, t in enumerate(types):
        if t == "L":
            levels[i] = 2 if rtl else 0
        elif t == "R":
            levels[i] = 1
        elif t == "N":
            near_rtl = any(j is not None and types[j] == "R" for j in (strong_before[i], strong_after[i]))
            levels[i] = 2 if rtl or near_rtl else 0

    def direction(i: int | None) -> str:
        if i is None:
            return "R" if rtl else "L"
        return "L" if types[i] == "L" or (types[i] == "N" and levels[i] == 0) else "R"

    typed = ("L", "R", "N")
    typed_before = _nearest(types, typed, reverse=False)
    typed_after = _nearest(types, typed, reverse=True)
    for i, t in enumerate(types):
        if t == "O":
            before, after = direction(typed_before[i]), direction(typed_after[i])
            if before == after:
                levels[i] = 1 if before == "R" else (2 if rtl else 0)
            else:
                levels[i] = base
    out = list(units)
    for level in range(max(levels, default=0), 0, -1):
        i = 0
        while i < len(out):
            if levels[i] < level:
                i += 1
                continue
            j = i
            while j < len(out) and levels[j] >= level:
                j += 1
            out[i:j] = out[i:j][::-1]
            levels[i:j] = levels[i:j][::-1]
            i = j
    return [MIRRORED.get(u, u) if lvl % 2 else u for u, lvl in zip(out, levels, strict=True)]


def _nearest(types: list[str], wanted: tuple[str, ...], *, reverse: bool) -> list[int | None]:
    """For each position, the nearest other position before it (or after it, with ``reverse``)
    whose type is one of ``wanted``; one pass, so a line costs linear time however it is made."""
    nearest: list[int | None] = [None] * len(types)
    last: int | None = None
    order = range(len(types) - 1, -1, -1) if reverse else range(len(types))
    for i in order:
        nearest[i] = last
        if types[i] in wanted:
            last = i
    return nearest


def _last_strong_letter(visual: str) -> str | None:
    for ch in reversed(visual):
        if _STRONG_LETTER.match(ch):
            return ch
    return None


def paragraph_is_rtl(visual: str, page_rtl: bool) -> bool:
    """The direction of a line's paragraph, from its visual text.

    A paragraph takes the direction of its first strong letter, which is drawn leftmost in a
    left-to-right paragraph and rightmost in a right-to-left one: when both ends of the line are
    letters of one direction, that is the direction. Otherwise the majority, then the page's.
    """
    first = _STRONG_LETTER.search(visual)
    last = _last_strong_letter(visual)
    if first is not None and last is not None and is_rtl(first.group()) == is_rtl(last):
        return is_rtl(last)
    rtl_letters = len(RTL_LETTER.findall(visual))
    ltr_letters = len(LATIN_LETTER.findall(visual))
    return rtl_letters > ltr_letters if rtl_letters != ltr_letters else page_rtl


def mostly_rtl(text: str) -> bool:
    """More right-to-left letters than Latin ones in ``text``."""
    return len(RTL_LETTER.findall(text)) > len(LATIN_LETTER.findall(text))
