"""Ordinals that number an event, in English or Arabic: "the eighth meeting", "الاجتماع الثامن".

In this domain a series of events is numbered ("the seventh biennial meeting of regional
organizations"), and like a year the number is evidence that does not depend on the language:
"the eighth meeting" is not the passage about the sixth, whatever the words around it. Read:

    "the eighth meeting", "8th biennial meeting", "twenty-first session"   → 8, 8, 21
    "الاجتماع الثامن", "الدورة الحادية عشرة", "الاجتماع الـ٨"                 → 8, 11, 8

An ordinal counts only next to an event noun (:mod:`text.events`: two words before it or three
after), so "the fifth chapter" or "a second time" are not. "First" (and "الأول") is left to
:mod:`text.temporal`, which reads "the first meeting" as the earliest one; numbers from 2 to
``MAX_ORDINAL`` are read. One pass over a bounded list of tokens, no backtracking.
"""

from __future__ import annotations

import re

from text.arabic import normalize
from text.events import near_event

MAX_ORDINAL = 200
_MAX_CHARS = 20_000
"""Characters of a text read (a chunk is at most a few thousand)."""
_MAX_ORDINALS = 16
"""Ordinals kept per text: a list of hundreds of numbered sessions names no one event."""
_TOKEN = re.compile(r"\d+|[^\W\d_]+")

_EN_UNITS = {
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
}  # fmt: skip
_EN_ORDINALS = {
    **_EN_UNITS,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90,
}  # fmt: skip
_EN_SUFFIXES = {"st", "nd", "rd", "th"}

# Normalised Arabic (ة → ه, ى → ي, أ → ا), with the article; masculine and feminine.
_AR_UNITS = {
    "الحادي": 1, "الحاديه": 1, "الثاني": 2, "الثانيه": 2, "الثالث": 3, "الثالثه": 3, "الرابع": 4,
    "الرابعه": 4, "الخامس": 5, "الخامسه": 5, "السادس": 6, "السادسه": 6, "السابع": 7, "السابعه": 7,
    "الثامن": 8, "الثامنه": 8, "التاسع": 9, "التاسعه": 9,
}  # fmt: skip
_AR_TENS = {
    "العشرون": 20, "العشرين": 20, "الثلاثون": 30, "الثلاثين": 30, "الاربعون": 40, "الاربعين": 40,
    "الخمسون": 50, "الخمسين": 50, "الستون": 60, "الستين": 60, "السبعون": 70, "السبعين": 70,
    "الثمانون": 80, "الثمانين": 80, "التسعون": 90, "التسعين": 90,
}  # fmt: skip
_AR_TEN = {"العاشر": 10, "العاشره": 10}
_AR_TEEN = {"عشر", "عشره"}  # الحادي عشر: eleventh
_AR_PREFIXES = ("و", "ب", "ل", "ف", "ك")  # a conjunction or preposition written on the word
_AR_BARE_ARTICLE = "ال"  # الـ٨: the article on a digit (the tatweel is normalised away)


def _arabic(token: str) -> str:
    """``token`` without one attached conjunction or preposition when what remains is an ordinal."""
    if token[:1] in _AR_PREFIXES and token[1:3] == "ال":
        rest = token[1:]
        if rest in _AR_UNITS or rest in _AR_TENS or rest in _AR_TEN:
            return rest
    return token


def _read(tokens: list[str], i: int) -> tuple[int | None, int]:
    """The ordinal starting at ``tokens[i]`` (or None) and the index of its last token."""
    token = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if token.isdigit():
        if nxt in _EN_SUFFIXES and len(token) <= 3:
            return int(token), i + 1
        return None, i
    if token == _AR_BARE_ARTICLE and nxt.isdigit() and len(nxt) <= 3:  # الـ٨
        return int(nxt), i + 1
    if token in _EN_TENS:  # twenty-first, thirty second
        unit = _EN_UNITS.get(nxt) or (1 if nxt == "first" else None)
        return (_EN_TENS[token] + unit, i + 1) if unit else (None, i)
    if token in _EN_ORDINALS:
        return _EN_ORDINALS[token], i
    token = _arabic(token)
    if token in _AR_TEN or token in _AR_TENS:
        return (_AR_TEN.get(token) or _AR_TENS[token]), i
    if token in _AR_UNITS:
        unit = _AR_UNITS[token]
        if nxt in _AR_TEEN:  # الحادي عشر
            return 10 + unit, i + 1
        tens = _AR_TENS.get(nxt.removeprefix("و")) if nxt.startswith("و") else None
        if tens:  # الحادي والعشرون
            return tens + unit, i + 1
        return (unit, i) if unit > 1 else (None, i)
    return None, i


_JOINERS = {"and", "or", "the", "و", "او"}
"""Words between the ordinals of a list ("the sixth and the seventh meetings")."""


def ordinals_mentioned(text: str) -> tuple[int, ...]:
    """The ordinals (2 to ``MAX_ORDINAL``) that number an event in ``text``, sorted. An ordinal
    counts next to an event noun, or in a list ending with one that does ("the sixth and the
    seventh meetings")."""
    tokens = _TOKEN.findall(normalize(text[:_MAX_CHARS]))
    found: set[int] = set()
    listed: list[int] = []  # ordinals of a list whose event noun is still to come
    end = -1  # the last token of the previous ordinal
    i = 0
    while i < len(tokens) and len(found) < _MAX_ORDINALS:
        value, last = _read(tokens, i)
        if value is None or not 2 <= value <= MAX_ORDINAL:
            i = last + 1
            continue
        if not all(t in _JOINERS for t in tokens[end + 1 : i]):
            listed = []
        if near_event(tokens, i, before=2, after=3 + last - i):
            found.update(listed[:_MAX_ORDINALS], (value,))
            listed = []
        elif len(listed) < _MAX_ORDINALS:
            listed.append(value)
        end = i = last
        i += 1
    return tuple(sorted(found)[:_MAX_ORDINALS])


def chunk_ordinals(context: str, text: str) -> tuple[int, ...]:
    """The ordinals of a chunk: those of its text and of its context (title and headings), as a
    chunk's years are."""
    return tuple(sorted(set(ordinals_mentioned(context)) | set(ordinals_mentioned(text))))
