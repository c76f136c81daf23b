"""Nouns that name an event ("meeting", "الاجتماع"), in normalised form (:func:`text.arabic.normalize`).

A word about time ("the last meeting", "آخر اجتماع") or an ordinal ("the eighth meeting",
"الاجتماع الثامن") is read only next to one of them, so "last name" or "the fifth chapter" are not.
"""

from __future__ import annotations

_EVENTS_EN = {
    "meeting", "workshop", "session", "conference", "summit", "retreat", "event", "report",
    "summary", "dialogue", "consultation", "briefing", "visit", "gathering", "forum", "seminar",
    "one",
}  # fmt: skip
_EVENTS_AR = {
    "اجتماع", "ورشه", "ورش", "جلسه", "مؤتمر", "موتمر", "قمه", "فعاليه", "تقرير", "ملخص", "حوار",
    "مشاورات", "زياره", "منتدي", "ندوه", "دوره", "لقاء", "اجتماعات", "فعاليات", "تقارير", "جلسات",
    "مؤتمرات",
}  # fmt: skip
_AR_PREFIXES = ("وال", "بال", "فال", "ولل", "لل", "ال", "و", "ب", "ل", "")


def is_event(token: str) -> bool:
    """Whether a normalised, lower-case token names an event (plurals and Arabic prefixes too)."""
    if token in _EVENTS_EN or token.rstrip("s") in _EVENTS_EN or token.removesuffix("es") in _EVENTS_EN:
        return True
    for prefix in _AR_PREFIXES:
        if token.startswith(prefix) and token[len(prefix) :] in _EVENTS_AR:
            return True
    return token.removesuffix("ات") in _EVENTS_AR


def near_event(tokens: list[str], i: int, *, before: int = 2, after: int = 3) -> bool:
    """Whether an event noun is within ``before`` words before or ``after`` words after ``tokens[i]``."""
    return any(is_event(t) for t in tokens[max(0, i - before) : i] + tokens[i + 1 : i + 1 + after])
