"""Which script a text is written in: the one definition of "an Arabic letter" and "a Latin letter"."""

from __future__ import annotations

import re

ARABIC_LETTER_RANGES = (
    "\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"
)
"""Arabic-script letters (base, supplement, extended-A, presentation forms); Arabic punctuation,
digits and vowel marks are not letters."""
LATIN_LETTER_RANGES = "A-Za-z\u00c0-\u024f"

ARABIC_LETTER = re.compile(f"[{ARABIC_LETTER_RANGES}]")
LATIN_LETTER = re.compile(f"[{LATIN_LETTER_RANGES}]")

ARABIC_SCRIPT_LANGS = frozenset({"ar", "fa", "ur", "ps", "ku", "sd", "ug"})
"""Languages written in the Arabic script."""


def has_arabic(text: str) -> bool:
    """True when ``text`` contains at least one Arabic-script letter."""
    return ARABIC_LETTER.search(text) is not None


def letter_counts(text: str) -> tuple[int, int]:
    """(Arabic-script letters, Latin letters) in ``text``."""
    return len(ARABIC_LETTER.findall(text)), len(LATIN_LETTER.findall(text))
