"""Which sentence of a passage answers: the highlight shown with each cited passage."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from core.document import Chunk
from text.analyzer import analyze
from text.years import is_year

HIGHLIGHT_TIE = 0.01
"""A second sentence is highlighted only when it scores within this of the best (e5 compresses
cosines into a narrow band: a list that answers "which organizations…" next to the sentence
that names the meeting), and only in a passage of three sentences or more: the highlight must
say which part answers, never mark the whole passage."""
MAX_HIGHLIGHTS = 2
TERM_BONUS = 0.1
"""Added for the share of the question's words (other than years) a sentence contains."""
YEAR_ECHO = 0.04
"""Taken from a sentence that mentions a year the question names (see :func:`best_sentences`)."""


@lru_cache(maxsize=8192)
def _sentence_terms(sentence: str) -> frozenset[str]:
    """The terms of a sentence; the passages that answer keep coming back, so their sentences
    are analysed once (the analyser was most of the highlighting time)."""
    return frozenset(analyze(sentence))


def best_sentences(
    chunk: Chunk,
    vectors: np.ndarray | None,
    *,
    question: np.ndarray,
    terms: Sequence[str],
    years: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    """The sentence(s) of ``chunk`` that best answer, as document offsets, in text order.

    Sentences are scored by their vector's cosine to the question (``vectors``: one row per
    sentence, or None) plus ``TERM_BONUS`` for the share of the question's ``terms`` they
    contain. Years pick the passage (boost, filters); inside it the year usually sits in the
    sentence that introduces the event rather than the one that answers ("In 2017, the fifth
    meeting was held in Djibouti." before the list of who attended), so it is no shared term, and
    a sentence that mentions one of the question's ``years`` loses ``YEAR_ECHO``. One sentence is
    highlighted, two when the second is nearly as good (``HIGHLIGHT_TIE``) and the passage has
    more than two; a passage of one sentence is its own highlight.
    """
    sentences = chunk.sentences
    if len(sentences) <= 1:
        return tuple(sentences)
    if vectors is None or len(vectors) != len(sentences):
        scores = np.zeros(len(sentences), dtype=np.float32)
    else:
        scores = vectors @ question
    words = [_sentence_terms(chunk.text[s - chunk.start : e - chunk.start]) for s, e in sentences]
    wanted = {t for t in terms if not is_year(t)}
    if wanted:
        scores = scores + TERM_BONUS * np.array(
            [len(wanted & w) / len(wanted) for w in words], dtype=np.float32
        )
    asked = {str(y) for y in years}
    if asked:
        scores = scores - YEAR_ECHO * np.array([bool(asked & w) for w in words], dtype=np.float32)
    order = np.argsort(-scores, kind="stable")[: min(MAX_HIGHLIGHTS, len(sentences) - 1)]
    chosen = [i for i in order if scores[i] >= scores[order[0]] - HIGHLIGHT_TIE]
    return tuple(sentences[i] for i in sorted(chosen))
