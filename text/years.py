"""Years written in a text, in either digit system."""

from __future__ import annotations

import re

from text.arabic import normalize_digits

YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
"""A year from 1800 to 2199 in ASCII digits, not part of a longer number."""


def years_mentioned(text: str) -> tuple[int, ...]:
    """Years (1800-2199) written in ASCII, Arabic-Indic or Eastern Arabic-Indic digits."""
    return tuple(sorted({int(y) for y in YEAR.findall(normalize_digits(text))}))


def without_years(text: str) -> str:
    """``text`` with its years (either digit system) replaced by spaces."""
    return YEAR.sub(" ", normalize_digits(text))


def is_year(token: str) -> bool:
    """True when ``token`` (ASCII digits) is exactly a year."""
    return YEAR.fullmatch(token) is not None
