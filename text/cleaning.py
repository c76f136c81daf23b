"""Control characters and line ends: what every text is cleaned of before offsets are taken."""

from __future__ import annotations

import re
import unicodedata

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls and DEL, except tab, line feed and carriage return."""


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab and line ends kept)."""
    return CONTROL_CHARACTER.sub("", text)


def clean_text(text: str) -> str:
    """Unify line ends and drop control characters, so offsets are stable across platforms."""
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
"""Controls, format characters (zero-width spaces and joiners, direction marks and isolates),
unassigned code points, separators, and combining marks, which show nothing on their own."""


def has_visible_text(text: str) -> bool:
    """True when ``text`` has at least one character a reader can see (a letter, digit,
    punctuation or symbol); False for text made only of spaces, controls, zero-width or
    direction-control characters, or marks with nothing to sit on."""
    return any(not ch.isspace() and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES for ch in text)
