"""Language-aware hybrid scoring of candidate chunks.

**One language** (every chunk of the collection in one language, or all but a few):

    score = ½·cos(q, chunk) + ½·max cos(q, sentence) + β·[same language]·BM25(q, chunk)/BM25max(q)
            + γ·[the chunk is about a year the question names]

The dense part blends the whole chunk with its best sentence: a question usually targets one
sentence, and the blend lifts cross-language recall most (XQuAD en→ar recall@1 .754 → .804).
BM25 counts only when the question and the passage share a language: for an English question
over Arabic passages its list is noise (plain reciprocal rank fusion loses to dense alone there).
BM25 is divided by the most the question could score (the sum of its terms' idf; the
term-frequency part of bm25s's Lucene BM25 saturates at 1), so it lies in [0, 1] whatever the
question, and β is set against the range of e5 cosines. β and the ½ blend were chosen on half of
XQuAD (articles 0–23) and checked on the other half.

**Several languages** (:mod:`index.centring`): raw cosines favour the question's language, and
BM25 can only ever favour it. Each candidate gets four cosines — raw and centred, chunk and best
sentence — and its score is a linear function of them and of the lexical evidence, with one set
of weights for passages in the question's language and another for passages in another
language, plus an offset per question language:

    score = w_pair · [cos, cos_sentence, cos_centred, cos_centred_sentence,
                      BM25/BM25max, [BM25's best], BM25's lead over its second]
            + offset(question language, if the passage is in another language) + γ·[year]

Here BM25max counts the question's words that no chunk contains too (a passage that matches
"workshop" but not "coastal fisheries" is weak evidence, not full marks), and BM25's best
passage in the question's language, with its lead over the second, is marked: one passage that
stands out lexically says more than its score alone. Across languages BM25 only matches shared
tokens (names in Latin script, digits), and gets a small weight.

The weights were fitted on the XQuAD split pool (each paragraph kept in one language only),
articles 0–23, by maximising the likelihood that the paragraph a question was written on comes
first (a listwise softmax over the candidates); the offsets then balance, per question language,
same-language against cross-language recall@1 on those articles. ``python -m bench.fusion_fit``
reproduces them; ``bench/xquad.py`` measures the result on the held-out articles 24–47. Re-fit
both (and ``bench/confidence.py``) when the embedder changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PairWeights:
    """Weights of one kind of (question, passage) pair in a multilingual collection."""

    dense: float
    sentence: float
    centred_dense: float
    centred_sentence: float
    lexical: float
    lexical_top: float = 0.0
    lexical_lead: float = 0.0
    bias: float = 0.0

    def score(self, c: Candidates, rows: np.ndarray) -> np.ndarray:
        assert c.centred_dense is not None and c.centred_sentence is not None
        assert c.lexical_top is not None and c.lexical_lead is not None
        return (
            self.dense * c.dense[rows]
            + self.sentence * c.sentence[rows]
            + self.centred_dense * c.centred_dense[rows]
            + self.centred_sentence * c.centred_sentence[rows]
            + self.lexical * c.lexical[rows]
            + self.lexical_top * c.lexical_top[rows]
            + self.lexical_lead * c.lexical_lead[rows]
            + self.bias
        )


@dataclass(frozen=True)
class MixedWeights:
    """The scoring of a multilingual collection (fitted by ``bench/fusion_fit.py``)."""

    same: PairWeights = PairWeights(
        dense=0.099,
        sentence=0.159,
        centred_dense=0.234,
        centred_sentence=0.508,
        lexical=0.297,
        lexical_top=0.059,
        lexical_lead=0.228,
    )
    cross: PairWeights = PairWeights(
        dense=0.207, sentence=0.234, centred_dense=0.695, centred_sentence=0.769, lexical=0.042, bias=-0.127
    )
    cross_offset: dict[str, float] = field(default_factory=lambda: {"ar": -0.09, "en": -0.079})
    """Added to passages in another language than the question's, by question language."""
    default_offset: float = -0.084
    """The offset for a question language not in ``cross_offset``."""
    year: float = 0.092

    def offset(self, question_lang: str) -> float:
        return self.cross_offset.get(question_lang, self.default_offset)


@dataclass(frozen=True)
class FusionWeights:
    sentence: float = 1.0
    """Weight of the best sentence against the whole chunk: (d + w·s) / (1 + w)."""
    lexical: float = 0.12
    """β: weight of normalised BM25 when question and passage share a language."""
    year: float = 0.05
    """γ: added when the passage is about a year the question asks about."""
    mixed: MixedWeights = field(default_factory=MixedWeights)
    """The scoring used instead when the collection holds several languages."""

    def year_weight(self, candidates: Candidates) -> float:
        return self.year if candidates.centred_dense is None else self.mixed.year


@dataclass(frozen=True)
class Candidates:
    """Per-candidate evidence, all arrays aligned."""

    ids: np.ndarray  # int64 chunk ids
    dense: np.ndarray  # cosine question · chunk
    sentence: np.ndarray  # best cosine question · sentence (= dense for one-sentence chunks)
    lexical: np.ndarray  # BM25 / the question's maximum possible BM25, in [0, 1]
    same_language: np.ndarray  # bool: passage language == question language
    year_match: np.ndarray  # bool
    centred_dense: np.ndarray | None = None  # cosines of the centred vectors (several languages)
    centred_sentence: np.ndarray | None = None
    lexical_top: np.ndarray | None = None  # 1.0 for BM25's best passage in the question's language
    lexical_lead: np.ndarray | None = None  # its lead over the second, in the units of ``lexical``
    question_lang: str = ""
    unknown_words: bool = False
    """The question names no time or ordinal and none of its words occurs in the collection,
    though the collection has passages in its language (gibberish, or off the collection's subject)."""

    @property
    def mixed(self) -> bool:
        return self.centred_dense is not None


def fuse(candidates: Candidates, weights: FusionWeights) -> np.ndarray:
    """The fused score of every candidate (higher is better)."""
    c = candidates
    if not c.mixed:
        dense = (c.dense + weights.sentence * c.sentence) / (1.0 + weights.sentence)
        lexical = np.where(c.same_language, c.lexical, 0.0)
        return dense + weights.lexical * lexical + weights.year * c.year_match
    mixed = weights.mixed
    scores = np.empty(len(c.ids), dtype=np.float64)
    same = np.flatnonzero(c.same_language)
    other = np.flatnonzero(~c.same_language)
    scores[same] = mixed.same.score(c, same)
    scores[other] = mixed.cross.score(c, other) + mixed.offset(c.question_lang)
    return scores + mixed.year * c.year_match
