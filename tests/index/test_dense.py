from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.backends.faiss_dense import HNSW_EF_CONSTRUCTION, SELECTORS_KEPT, DenseIndex, ef_search_for


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize(("threshold", "kind"), [(10_000, "flat"), (50, "hnsw")])
def test_search_returns_explicit_ids(threshold: int, kind: str, tmp_path: Path) -> None:
    vectors = unit_rows(300)
    ids = np.arange(300, dtype=np.int64) * 7 + 1000
    index = DenseIndex.build(ids, vectors, dim=16, hnsw_threshold=threshold)
    assert index.kind == kind
    hits = index.search(vectors[42], 3)
    assert hits.ids[0] == ids[42]
    assert hits.scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(hits.scores) == sorted(hits.scores, reverse=True)

    index.save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert loaded.kind == kind and len(loaded) == 300
    assert loaded.search(vectors[42], 1).ids[0] == ids[42]
    np.testing.assert_allclose(loaded.vectors(ids[[5, 6]]), vectors[[5, 6]], atol=1e-6)


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_search_within_allowed_ids(threshold: int) -> None:
    vectors = unit_rows(200)
    ids = np.arange(200, dtype=np.int64)
    index = DenseIndex.build(ids, vectors, dim=16, hnsw_threshold=threshold)
    allowed = np.array([3, 77, 150])
    hits = index.search(vectors[42], 10, allowed_ids=allowed)
    assert set(hits.ids) == {3, 77, 150}


def test_hnsw_recall_against_exact() -> None:
    vectors = unit_rows(5000, dim=32, seed=1)
    ids = np.arange(5000, dtype=np.int64)
    exact = DenseIndex.build(ids, vectors, dim=32, hnsw_threshold=10**9)
    approx = DenseIndex.build(ids, vectors, dim=32, hnsw_threshold=1)
    queries = unit_rows(50, dim=32, seed=2)
    overlap = [len(set(exact.search(q, 10).ids) & set(approx.search(q, 10).ids)) / 10 for q in queries]
    assert np.mean(overlap) >= 0.95


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_with_changes_leaves_the_original_alone(threshold: int) -> None:
    vectors = unit_rows(120)
    ids = np.arange(120, dtype=np.int64)
    base = DenseIndex.build(ids[:100], vectors[:100], dim=16, hnsw_threshold=threshold)
    changed = base.with_changes(
        removed=np.array([7]),
        added_ids=ids[100:],
        added_vectors=vectors[100:],
        hnsw_threshold=threshold,
    )
    assert len(base) == 100 and len(changed) == 119
    assert 7 not in set(changed.all_ids())
    assert changed.search(vectors[110], 1).ids[0] == 110
    assert base.search(vectors[7], 1).ids[0] == 7


def test_empty_index_searches_to_nothing() -> None:
    index = DenseIndex.build(np.zeros(0, np.int64), np.zeros((0, 16)), dim=16, hnsw_threshold=10)
    assert len(index.search(unit_rows(1)[0], 5).ids) == 0


@pytest.mark.parametrize("threshold", [10_000, 50])
def test_loaded_index_is_memory_mapped_and_read_back_in_batches(threshold: int, tmp_path: Path) -> None:
    vectors = unit_rows(300)
    ids = np.arange(300, dtype=np.int64)[::-1] * 3 + 11  # ids in no particular order
    DenseIndex.build(ids, vectors, dim=16, hnsw_threshold=threshold).save(tmp_path / "d.faiss")
    mapped = DenseIndex.load(tmp_path / "d.faiss")
    copied = DenseIndex.load(tmp_path / "d.faiss", mmap=False)
    wanted = ids[[250, 3, 77, 3]]
    for index in (mapped, copied):
        np.testing.assert_allclose(index.vectors(wanted), vectors[[250, 3, 77, 3]], atol=1e-6)
        assert index.search(vectors[9], 1).ids[0] == ids[9]
    with pytest.raises(RuntimeError):
        mapped.vectors(np.array([12]))  # not an id of the index


def test_a_mapped_hnsw_index_grows_into_a_copy(tmp_path: Path) -> None:
    vectors = unit_rows(160)
    ids = np.arange(160, dtype=np.int64)
    DenseIndex.build(ids[:100], vectors[:100], dim=16, hnsw_threshold=50).save(tmp_path / "d.faiss")
    mapped = DenseIndex.load(tmp_path / "d.faiss")
    grown = mapped.with_changes(
        removed=np.zeros(0, np.int64), added_ids=ids[100:], added_vectors=vectors[100:], hnsw_threshold=50
    )
    assert grown.kind == "hnsw" and len(grown) == 160 and len(mapped) == 100
    assert grown.search(vectors[130], 1).ids[0] == 130
    (tmp_path / "d.faiss").unlink()  # a newer ingest pruned the version: the mapping still serves
    again = mapped.with_changes(
        removed=np.zeros(0, np.int64), added_ids=ids[100:], added_vectors=vectors[100:], hnsw_threshold=50
    )
    assert len(again) == 160 and mapped.search(vectors[42], 1).ids[0] == 42


def test_hnsw_searches_wider_as_the_index_grows(tmp_path: Path) -> None:
    assert ef_search_for(0) == ef_search_for(10_000) == 128
    assert ef_search_for(100_000) == 253 and ef_search_for(1_000_000) == 800
    assert ef_search_for(10**8) == 1024
    vectors = unit_rows(400)
    index = DenseIndex.build(np.arange(300), vectors[:300], dim=16, hnsw_threshold=50)
    index.save(tmp_path / "d.faiss")
    grown = DenseIndex.load(tmp_path / "d.faiss").with_changes(
        removed=np.zeros(0, np.int64),
        added_ids=np.arange(300, 400),
        added_vectors=vectors[300:],
        hnsw_threshold=50,
    )
    assert grown.search(vectors[350], 1).ids[0] == 350
    inner = faiss.downcast_index(grown._index.index)
    assert inner.hnsw.efSearch == ef_search_for(400) and inner.hnsw.efConstruction == HNSW_EF_CONSTRUCTION


def test_kept_selectors_are_bounded() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex.build(np.arange(50, dtype=np.int64), vectors, dim=8, hnsw_threshold=10**9)
    for k in range(SELECTORS_KEPT + 10):
        allowed = np.array([k % 50], dtype=np.int64)
        hits = index.search(vectors[k % 50], 1, allowed_ids=allowed, cache_key=f"set-{k}")
        assert hits.ids.tolist() == [k % 50]
    assert len(index._selectors) == SELECTORS_KEPT
