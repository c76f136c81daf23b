"""Language-aware hybrid scoring of candidate chunks.

    score = ½·cos(q, chunk) + ½·max cos(q, sentence) + β·[same language]·BM25(q, chunk)/BM25max(q)
            + γ·[the chunk mentions a year the question names]

The dense part blends the whole chunk with its best sentence: a question usually targets one
sentence, and the blend lifts cross-language recall most (XQuAD en→ar recall@1 .754 → .804).

The lexical part knows the languages: BM25 compares words, so it counts only when the question
and the passage are in the same language. For an English question over Arabic passages its list
is noise and would pull wrong passages up (plain reciprocal rank fusion loses to dense alone
there). BM25 is divided by the most the question could score (the sum of its terms' idf; the
term-frequency part of bm25s's Lucene BM25 saturates at 1), so it lies in [0, 1] whatever the
question, and β is set against the range of e5 cosines.

β and the ½ blend were chosen on half of XQuAD (articles 0–23) and checked on the other half;
``bench/xquad.py`` reproduces the numbers. Re-tune β when the embedder changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FusionWeights:
    sentence: float = 1.0
    """Weight of the best sentence against the whole chunk: (d + w·s) / (1 + w)."""
    lexical: float = 0.12
    """β: weight of normalised BM25 when question and passage share a language."""
    year: float = 0.05
    """γ: added when the passage mentions a year the question asks about."""


@dataclass(frozen=True)
class Candidates:
    """Per-candidate evidence, all arrays aligned."""

    ids: np.ndarray  # int64 chunk ids
    dense: np.ndarray  # cosine question · chunk
    sentence: np.ndarray  # best cosine question · sentence (= dense for one-sentence chunks)
    lexical: np.ndarray  # BM25 / the question's maximum possible BM25, in [0, 1]
    same_language: np.ndarray  # bool: passage language == question language
    year_match: np.ndarray  # bool


def fuse(candidates: Candidates, weights: FusionWeights) -> np.ndarray:
    """The fused score of every candidate (higher is better)."""
    dense = (candidates.dense + weights.sentence * candidates.sentence) / (1.0 + weights.sentence)
    lexical = np.where(candidates.same_language, candidates.lexical, 0.0)
    return dense + weights.lexical * lexical + weights.year * candidates.year_match
