"""What a question asks about time, in English or Arabic: an order, a range of years, or years.

    "Who led the most recent meeting?"      → order "latest"
    "What was the first meeting?"           → order "earliest"
    "meetings after 2019", "بعد عام ٢٠١٩"    → years from 2020 on
    "since 2019", "منذ ٢٠١٩"                 → years from 2019 on
    "before 2020", "قبل ٢٠٢٠"                → years up to 2019
    "between 2017 and 2021", "بين ٢٠١٧ و٢٠٢١" → 2017–2021
    "in 2017", "في ٢٠١٧"                     → the year 2017

Both digit systems are read (the text is normalised first). The parser works on a bounded list of
tokens, one pass, no backtracking. Relative dates ("last year") are not resolved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text.arabic import normalize
from text.events import is_event, near_event
from text.years import is_year

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_DASHED = re.compile(r"(?<!\d)(\d{4}) ?[-–—] ?(\d{4})(?!\d)")
_MAX_CHARS = 4000
_MAX_TOKENS = 400

LATEST, EARLIEST = "latest", "earliest"

# Normalised forms (ingest.arabic.normalize: أ إ آ → ا, ى → ي, ة → ه, lower case).
_ORDER_WORDS = {
    "latest": LATEST,
    "last": LATEST,
    "newest": LATEST,
    "recent": LATEST,
    "recently": LATEST,
    "lately": LATEST,
    "first": EARLIEST,
    "earliest": EARLIEST,
    "oldest": EARLIEST,
    "initial": EARLIEST,
    "inaugural": EARLIEST,
    "اخر": LATEST,  # آخر اجتماع: the last meeting
    "الاخير": LATEST,
    "الاخيره": LATEST,
    "اخير": LATEST,
    "احدث": LATEST,
    "الاحدث": LATEST,
    "مؤخرا": LATEST,
    "موخرا": LATEST,
    "اول": EARLIEST,
    "الاول": EARLIEST,
    "الاولي": EARLIEST,
    "اقدم": EARLIEST,
    "الاقدم": EARLIEST,
}
# Words that bound a range with the year that follows them: (lower or upper, offset to the year).
_BOUND_WORDS = {
    "before": ("end", -1),
    "until": ("end", 0),
    "till": ("end", 0),
    "by": ("end", 0),
    "after": ("start", 1),
    "since": ("start", 0),
    "قبل": ("end", -1),
    "حتي": ("end", 0),
    "بعد": ("start", 1),
    "منذ": ("start", 0),
}
# Two-word bounds: "prior to", "earlier than", "later than", "up to", "ابتداء من".
_BOUND_PAIRS = {
    ("prior", "to"): ("end", -1),
    ("earlier", "than"): ("end", -1),
    ("up", "to"): ("end", 0),
    ("later", "than"): ("start", 1),
    ("ابتداء", "من"): ("start", 0),
}
# "first" and "last" are about time only next to an event ("the last meeting", "آخر اجتماع",
# "الاجتماع الأول"), not in "last name" or "the oldest quarterback"; adverbs need no noun.
_ADVERBS = {"recently", "lately", "مؤخرا", "موخرا"}
_RANGE_OPENERS = {"between", "from", "بين", "من"}
_RANGE_JOINERS = {"and", "to", "until", "till", "through", "و", "الي", "حتي"}
_FILLERS = {"the", "year", "years", "of", "عام", "العام", "سنه", "السنه", "في"}
_PREFIXES = ("و", "ف", "ب", "ل", "ك")  # Arabic conjunctions/prepositions written on the word


@dataclass(frozen=True)
class TimeIntent:
    """The time a question asks about. Empty when it asks about none."""

    order: str | None = None
    """``"latest"`` or ``"earliest"``: the question wants the most recent or the first event."""
    start: int | None = None
    """First year of the range asked about (inclusive), or None."""
    end: int | None = None
    """Last year of the range asked about (inclusive), or None."""
    years: tuple[int, ...] = ()
    """Years named outside a range ("in 2017")."""
    bounds: tuple[int, ...] = ()
    """Years named as the edge of a range ("2019" in "after 2019"): not years asked about."""

    @property
    def is_empty(self) -> bool:
        return self.order is None and not self.has_range and not self.years

    @property
    def has_range(self) -> bool:
        return self.start is not None or self.end is not None

    def in_range(self, year: int) -> bool:
        return (self.start is None or year >= self.start) and (self.end is None or year <= self.end)


def _year(token: str) -> int | None:
    return int(token) if is_year(token) else None


def _bare(token: str) -> str:
    """``token`` without one attached Arabic conjunction or preposition, if what remains is a keyword."""
    if token in _ORDER_WORDS or token in _BOUND_WORDS or token in _RANGE_OPENERS:
        return token
    for prefix in _PREFIXES:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and (rest in _ORDER_WORDS or rest in _BOUND_WORDS):
            return rest
    return token


def _year_after(tokens: list[str], i: int) -> tuple[int | None, int]:
    """The year at ``tokens[i]`` after at most two filler words, and the index after it."""
    for j in range(i, min(i + 3, len(tokens))):
        year = _year(tokens[j])
        if year is not None:
            return year, j + 1
        if tokens[j] not in _FILLERS:
            break
    return None, i


def parse_time_intent(question: str) -> TimeIntent:
    """Read the time a question asks about (see the module's examples)."""
    text = normalize(question[:_MAX_CHARS])
    order: str | None = None
    start: int | None = None
    end: int | None = None
    years: list[int] = []
    bounds: list[int] = []
    for m in _DASHED.finditer(text):  # "2017-2021", "2017–2021"
        first, second = _year(m.group(1)), _year(m.group(2))
        if first is not None and second is not None:
            start, end = min(first, second), max(first, second)
            bounds += [first, second]
    tokens = [_bare(t) for t in _TOKEN.findall(_DASHED.sub(" ", text))[:_MAX_TOKENS]]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "most" and nxt == "recent":
            if near_event(tokens, i + 1):
                order = order or LATEST
            i += 2
            continue
        if token in _ORDER_WORDS:
            # آخر after its noun means "another" (اجتماع آخر); before one, "the last" (آخر اجتماع).
            another = token == "اخر" and i > 0 and is_event(tokens[i - 1])
            if token in _ADVERBS or (near_event(tokens, i) and not another):
                order = order or _ORDER_WORDS[token]
            i += 1
            continue
        if token in _RANGE_OPENERS:
            first, j = _year_after(tokens, i + 1)
            if first is not None and j < len(tokens) and tokens[j] in _RANGE_JOINERS:
                second, k = _year_after(tokens, j + 1)
                if second is not None:
                    start, end = min(first, second), max(first, second)
                    bounds += [first, second]
                    i = k
                    continue
        bound = _BOUND_PAIRS.get((token, nxt))
        skip = 2 if bound else 1
        bound = bound or _BOUND_WORDS.get(token)
        if bound is not None:
            year, j = _year_after(tokens, i + skip)
            if year is not None:
                bounds.append(year)
                side, offset = bound
                if side == "start":
                    start = year + offset if start is None else max(start, year + offset)
                else:
                    end = year + offset if end is None else min(end, year + offset)
                i = j
                continue
        year = _year(token)
        if year is not None:
            years.append(year)
        i += 1
    return TimeIntent(
        order=order,
        start=start,
        end=end,
        years=tuple(sorted(set(years) - set(bounds))),
        bounds=tuple(sorted(set(bounds))),
    )
