"""Text → index terms for the lexical index, the same for passages and questions.

Arabic tokens are normalised (:func:`text.arabic.normalize`) and lightly stemmed; Latin tokens are
lower-cased and Snowball-stemmed; digits of either system become ASCII numbers. Nothing is
dropped for being non-ASCII: an Arabic question must find Arabic passages.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from text.arabic import light_stem, normalize
from text.script import has_arabic

ANALYZER_VERSION = "terms-1"

_TOKEN = re.compile(r"[^\W_]+")

_ARABIC_STOPWORDS = frozenset(
    normalize(w)
    for w in [
        "في",
        "من",
        "على",
        "إلى",
        "الى",
        "عن",
        "مع",
        "أن",
        "إن",
        "ان",
        "كان",
        "كانت",
        "التي",
        "الذي",
        "الذين",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "هو",
        "هي",
        "هم",
        "ما",
        "ماذا",
        "متى",
        "أين",
        "كيف",
        "لماذا",
        "هل",
        "أي",
        "لم",
        "لن",
        "قد",
        "ثم",
        "أو",
        "و",
        "ف",
        "ب",
        "ل",
        "ك",
        "عند",
        "بين",
        "حتى",
        "كل",
        "بعد",
        "قبل",
        "منذ",
        "خلال",
        "حول",
        "ضد",
        "دون",
        "غير",
        "التى",
        "وهو",
        "وهي",
        "كما",
        "لا",
        "نعم",
        "او",
        "ام",
        "اي",
        "تم",
    ]
)
_ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
    ]
)


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _term(token: str) -> str | None:
    if token.isdigit():
        return token
    if has_arabic(token):
        if token in _ARABIC_STOPWORDS:
            return None
        return light_stem(token)
    if token in _ENGLISH_STOPWORDS:
        return None
    return _english_stemmer().stemWord(token)


def analyze(text: str) -> list[str]:
    """Return the index terms of ``text`` in order (duplicates kept)."""
    terms = (_term(tok) for tok in _TOKEN.findall(normalize(text)))
    return [t for t in terms if t]


MAX_QUERY_TERMS = 64
"""Terms of a question that are searched: real questions have a few dozen at most, and each
term costs a pass over its postings in the lexical index."""
MAX_QUERY_TOKENS = 4 * MAX_QUERY_TERMS
"""Words of a question that are looked at (stop words included) before analysis stops."""


def query_terms(text: str, *, max_terms: int = MAX_QUERY_TERMS) -> list[str]:
    """The index terms of a question, in order: at most ``max_terms`` of them, from at most
    ``4 * max_terms`` words. A 2,000-character question of one-letter words would otherwise send
    a thousand terms to the lexical index."""
    terms: list[str] = []
    for n, match in enumerate(_TOKEN.finditer(normalize(text))):
        if n >= 4 * max_terms or len(terms) >= max_terms:
            break
        if term := _term(match.group()):
            terms.append(term)
    return terms
