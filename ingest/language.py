"""Deterministic language detection for chunks and questions."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException, detect_langs

from ingest.arabic import normalize_digits

DetectorFactory.seed = 0  # langdetect is random unless seeded
_lock = threading.Lock()  # langdetect's factory is not thread-safe while it initialises

_ARABIC_SCRIPT = re.compile(  # letters only: Arabic punctuation and digits do not count
    r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]"
)
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ARABIC_SCRIPT_LANGS = frozenset({"ar", "fa", "ur", "ps"})
_SHORT = 12  # fewer letters than this: langdetect guesses; trust the script instead

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")

UNDETERMINED = "und"


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("ar", "en", "fr", ...) or ``"und"`` when there are no letters.

    Short texts are classified by script (Arabic script → "ar", Latin → "en"), because
    langdetect is unreliable below a dozen letters ("IGAD" comes out as Indonesian).
    """
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic + latin == 0:
        return UNDETERMINED
    script_guess = "ar" if arabic >= latin else "en"
    if arabic + latin < _SHORT:
        return script_guess
    try:
        with _lock:
            candidates = detect_langs(text)
    except LangDetectException:
        return script_guess
    best = candidates[0].lang.split("-")[0]
    if script_guess == "ar" and best not in _ARABIC_SCRIPT_LANGS:
        return "ar"
    if script_guess == "en" and best in _ARABIC_SCRIPT_LANGS:
        return "en"
    return best


def years_mentioned(text: str) -> tuple[int, ...]:
    """Years (1800-2199) written in ASCII, Arabic-Indic or Eastern Arabic-Indic digits."""
    return tuple(sorted({int(y) for y in _YEAR.findall(normalize_digits(text))}))
