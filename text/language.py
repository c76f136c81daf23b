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


def _script_language(arabic: int, latin: int) -> str:
    return "ar" if arabic >= latin else "en"


def _in_script(lang: str, script: str) -> bool:
    return (lang in ARABIC_SCRIPT_LANGS) == (script == "ar")


def _guesses(text: str, arabic: int, latin: int) -> list[str]:
    """langdetect's languages for ``text``, most likely first (none for a short text)."""
    if arabic + latin < _SHORT:
        return []
    try:
        with _lock:
            candidates = detect_langs(text)
    except LangDetectException:
        return []
    return [c.lang.split("-")[0] for c in candidates]


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("ar", "en", "fr", ...) or ``"und"`` when there are no letters.

    Short texts are classified by script (Arabic script → "ar", Latin → "en"), because
    langdetect is unreliable below a dozen letters ("IGAD" comes out as Indonesian).
    """
    arabic, latin = letter_counts(text)
    if arabic + latin == 0:
        return UNDETERMINED
    script = _script_language(arabic, latin)
    guesses = _guesses(text, arabic, latin)
    # langdetect's pick in another script than the text's ("fa" for English) is not believed.
    return guesses[0] if guesses and _in_script(guesses[0], script) else script


@lru_cache(maxsize=4096)
def detect_language_among(text: str, languages: tuple[str, ...]) -> str:
    """The language of a question asked of a collection in ``languages`` (most common first).

    A question is short, and langdetect's guess for a short English question is often another
    Latin-script language ("meetings after 2019" comes out Danish, "lorem ipsum" Portuguese):
    ranking would then treat no passage as in the question's language. So the answer is one of
    the collection's languages: langdetect's most likely one among them, else the most common
    language of the collection written in the question's script, else the script decides
    ("ar" or "en"). ``"und"`` when the question has no letters.
    """
    arabic, latin = letter_counts(text)
    if arabic + latin == 0:
        return UNDETERMINED
    script = _script_language(arabic, latin)
    same_script = [lang for lang in languages if lang != UNDETERMINED and _in_script(lang, script)]
    if not same_script:
        return script
    if len(same_script) == 1:
        return same_script[0]
    for guess in _guesses(text, arabic, latin):
        if guess in same_script:
            return guess
    return same_script[0]
