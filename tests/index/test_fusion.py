from __future__ import annotations

import numpy as np

from index.fusion import Candidates, FusionWeights, fuse


def candidates(**kw: object) -> Candidates:
    n = len(kw["dense"])  # type: ignore[arg-type]
    base = {
        "ids": np.arange(n),
        "sentence": kw["dense"],
        "lexical": np.zeros(n),
        "same_language": np.ones(n, bool),
        "year_match": np.zeros(n, bool),
    }
    base.update(kw)
    return Candidates(**{k: np.asarray(v) for k, v in base.items()})  # type: ignore[arg-type]


def test_lexical_evidence_counts_only_within_a_language() -> None:
    # An English question: chunk 0 is the Arabic passage dense retrieval prefers; chunk 1 is an
    # Arabic passage with a spurious full BM25 match. The cross-language BM25 must not win.
    c = candidates(dense=[0.84, 0.80], lexical=[0.0, 1.0], same_language=[False, False])
    assert np.argmax(fuse(c, FusionWeights())) == 0
    # The same numbers within one language: the lexical match decides.
    c = candidates(dense=[0.84, 0.80], lexical=[0.0, 1.0], same_language=[True, True])
    assert np.argmax(fuse(c, FusionWeights())) == 1


def test_best_sentence_lifts_a_chunk() -> None:
    c = candidates(dense=[0.82, 0.81], sentence=[0.82, 0.86])
    assert np.argmax(fuse(c, FusionWeights())) == 1
    assert np.argmax(fuse(c, FusionWeights(sentence=0.0))) == 0


def test_year_match_breaks_near_ties() -> None:
    c = candidates(dense=[0.85, 0.83], year_match=[False, True])
    assert np.argmax(fuse(c, FusionWeights())) == 1
    assert np.argmax(fuse(c, FusionWeights(year=0.0))) == 0
