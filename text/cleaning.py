"""Control characters and line ends: what every text is cleaned of before offsets are taken."""

from __future__ import annotations

import re

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls and DEL, except tab, line feed and carriage return."""


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab and line ends kept)."""
    return CONTROL_CHARACTER.sub("", text)


def clean_text(text: str) -> str:
    """Unify line ends and drop control characters, so offsets are stable across platforms."""
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
