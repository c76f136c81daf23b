"""Years written in a text, in either digit system: the one definition of "a year" in marja."""

from __future__ import annotations

import re
from collections.abc import Mapping

from text.arabic import normalize_digits

FIRST_YEAR, LAST_YEAR = 1800, 2199
"""The years marja recognises (inclusive)."""
YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
"""A year from ``FIRST_YEAR`` to ``LAST_YEAR`` in ASCII digits, not part of a longer number."""

_METADATA_SAMPLE = 64
"""Characters of a metadata value searched for its year (``date: 2019-05-01``, ``May 2019``)."""


def years_mentioned(text: str) -> tuple[int, ...]:
    """Years (1800-2199) written in ASCII, Arabic-Indic or Eastern Arabic-Indic digits."""
    return tuple(sorted({int(y) for y in YEAR.findall(normalize_digits(text))}))


def without_years(text: str) -> str:
    """``text`` with its years (either digit system) replaced by spaces."""
    return YEAR.sub(" ", normalize_digits(text))


def is_year(token: str) -> bool:
    """True when ``token`` (ASCII digits) is exactly a year."""
    return YEAR.fullmatch(token) is not None


def first_year(value: object) -> int | None:
    """The first year written in ``value`` (a number or text, either digit system), or None."""
    if value is None or isinstance(value, bool):
        return None
    match = YEAR.search(normalize_digits(str(value)[:_METADATA_SAMPLE]))
    return int(match.group(1)) if match else None


def document_year(metadata: Mapping[str, object]) -> int | None:
    """The year a document is about, from its metadata: ``event_year``, else the year of ``date``
    (``2019-05-01``, ``٢٠١٩-٠٥-٠١``, ``May 2019``...). None when neither gives one.

    Computed once when a document is indexed; ranking and filters read the stored value.
    """
    for key in ("event_year", "date"):
        year = first_year(metadata.get(key))
        if year is not None:
            return year
    return None
