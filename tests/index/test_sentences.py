from __future__ import annotations

from pathlib import Path

import numpy as np

from index.sentences import SentenceVectors


def store(seed: int = 0) -> tuple[SentenceVectors, dict[int, np.ndarray]]:
    rng = np.random.default_rng(seed)
    added = {}
    for chunk_id in (40, 7, 12, 99, 3):
        v = rng.standard_normal((int(rng.integers(2, 6)), 8)).astype(np.float32)
        added[chunk_id] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return SentenceVectors.empty(8).with_changes(removed=set(), added=added, dim=8), added


def test_best_scores_are_the_best_sentence_of_each_chunk(tmp_path: Path) -> None:
    vectors, added = store()
    vectors.save(tmp_path)
    query = np.linspace(-1, 1, 8).astype(np.float32)
    ids = np.array([99, 5, 3, 40, 1000, 3])
    for s in (vectors, SentenceVectors.load(tmp_path)):
        best = s.best_scores(ids, query)
        for chunk_id, score in zip(ids, best, strict=True):
            one = s.of(int(chunk_id))
            if one is None:
                assert np.isnan(score)
            else:
                assert score == np.float32((one @ query).max())
                assert abs(score - (added[int(chunk_id)] @ query).max()) < 1e-2  # stored as float16
    assert len(SentenceVectors.empty(8).best_scores(ids, query)) == len(ids)
    assert len(vectors.best_scores(np.zeros(0, np.int64), query)) == 0


def test_with_changes_removes_and_adds_chunks() -> None:
    vectors, added = store()
    more = {5: np.ones((3, 8), dtype=np.float32), 1: np.zeros((2, 8), dtype=np.float32)}
    changed = vectors.with_changes(removed={7, 99}, added=more, dim=8)
    assert len(changed) == len(vectors) - len(added[7]) - len(added[99]) + 5
    assert changed.of(7) is None and changed.of(99) is None
    for chunk_id in (40, 12, 3):
        np.testing.assert_array_equal(changed.of(chunk_id), vectors.of(chunk_id))
    np.testing.assert_array_equal(changed.of(5), np.ones((3, 8)))
    assert vectors.of(7) is not None  # the original is unchanged
    assert len(changed.with_changes(removed={1, 3, 5, 12, 40}, added={}, dim=8)) == 0
