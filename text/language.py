"""Deterministic language detection for chunks and questions."""

from __future__ import annotations

import threading
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException, detect_langs

from text.script import ARABIC_SCRIPT_LANGS, letter_counts

DetectorFactory.seed = 0  # langdetect is random unless seeded
_lock = threading.Lock()  # langdetect's factory is not thread-safe while it initialises

_SHORT = 12  # fewer letters than this: langdetect guesses; trust the script instead

UNDETERMINED = "und"


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("ar", "en", "fr", ...) or ``"und"`` when there are no letters.

    Short texts are classified by script (Arabic script → "ar", Latin → "en"), because
    langdetect is unreliable below a dozen letters ("IGAD" comes out as Indonesian).
    """
    arabic, latin = letter_counts(text)
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
    if script_guess == "ar" and best not in ARABIC_SCRIPT_LANGS:
        return "ar"
    if script_guess == "en" and best in ARABIC_SCRIPT_LANGS:
        return "en"
    return best
