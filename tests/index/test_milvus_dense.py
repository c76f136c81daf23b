"""The Milvus dense backend, against a real (local, milvus-lite) Milvus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.catalog import Filters
from index.collection import Collection
from index.dense import DenseIndex
from index.fusion import FusionWeights
from index.search import Query, search
from index.snapshot import Snapshot

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from index.milvus_dense import MilvusDenseIndex


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_searches_like_exact_faiss(tmp_path: Path) -> None:
    vectors = unit_rows(300)
    ids = np.arange(300, dtype=np.int64)[::-1] * 3 + 11
    exact = DenseIndex.build(ids, vectors, dim=16, hnsw_threshold=10**9)
    milvus = MilvusDenseIndex.create(str(tmp_path / "m.db"), "chunks", ids, vectors)
    try:
        assert len(milvus) == 300 and milvus.dim == 16
        allowed = ids[::7]
        for q in unit_rows(20, seed=1):
            want, got = exact.search(q, 10), milvus.search(q, 10)
            assert got.ids.tolist() == want.ids.tolist()
            np.testing.assert_allclose(got.scores, want.scores, atol=1e-5)
            filtered = milvus.search(q, 5, allowed_ids=allowed)
            assert filtered.ids.tolist() == exact.search(q, 5, allowed_ids=allowed).ids.tolist()
        wanted = ids[[250, 3, 77, 3]]
        np.testing.assert_allclose(milvus.vectors(wanted), vectors[[250, 3, 77, 3]], atol=1e-6)
        assert len(milvus.search(vectors[0], 5, allowed_ids=np.zeros(0, np.int64)).ids) == 0
        with pytest.raises(KeyError):
            milvus.vectors(np.array([12]))
    finally:
        milvus.close()


def test_hybrid_search_over_milvus_gives_the_faiss_answers(
    corpus_collection: Collection, tmp_path: Path
) -> None:
    local = corpus_collection.snapshot()
    milvus = MilvusDenseIndex.from_dense(str(tmp_path / "m.db"), "v1", local.dense)
    remote = Snapshot(
        version=local.version,
        manifest=local.manifest,
        catalog=local.catalog,
        dense=milvus,  # type: ignore[arg-type]
        lexical=local.lexical,
        sentences=local.sentences,
        means=local.means,
    )
    weights = FusionWeights()
    try:
        for question, lang in (
            ("Which organizations attended the meeting in 2017?", "en"),
            ("ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", "ar"),
            ("workshop on mediation", "en"),
        ):
            query = Query.prepare(question, language=lang, vector=corpus_collection.query_vector(question))
            for filters in (Filters(), Filters(lang="ar")):
                want = search(local, query, top_k=5, filters=filters, weights=weights)
                got = search(remote, query, top_k=5, filters=filters, weights=weights)
                assert [h.chunk_id for h in got] == [h.chunk_id for h in want] and want
                assert [h.highlights for h in got] == [h.highlights for h in want]
    finally:
        milvus.close()
