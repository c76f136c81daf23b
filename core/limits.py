"""The bounds of a question, the same for the HTTP API, the command line and evaluations."""

from __future__ import annotations

MAX_QUESTION_CHARS = 2000
"""Longest question (and previous question) accepted, in characters."""
MAX_TOP_K = 50
"""Most passages one answer may hold."""
LANG_CODE_PATTERN = r"^[a-z]{2,3}$"
"""A language code as filters and documents give it: ISO 639-1 or -3, lower case ("ar", "en")."""
MIN_YEAR = 1000
MAX_YEAR = 2999
"""The years a filter may name."""
MAX_KIND_CHARS = 40
"""Longest document kind ("source", "summary", ...)."""
