"""Dense retrieval: FAISS inner-product search over unit vectors, with explicit chunk ids.

Small collections use exact search (``IndexFlatIP``); from ``hnsw_threshold`` vectors on, an
HNSW graph (``IndexHNSWFlat``) answers in sub-linear time. Both sit inside ``IndexIDMap2`` so
results carry the chunk ids of the collection and vectors can be read back by id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

logger = logging.getLogger(__name__)

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


@dataclass(frozen=True)
class DenseHits:
    ids: np.ndarray  # int64 chunk ids, best first
    scores: np.ndarray  # float32 cosine similarities


class DenseIndex:
    """A FAISS index of chunk vectors keyed by chunk id."""

    def __init__(self, index: faiss.IndexIDMap2) -> None:
        self._index = index

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, *, dim: int, hnsw_threshold: int) -> DenseIndex:
        """Index ``vectors`` (unit rows) under ``ids``; HNSW from ``hnsw_threshold`` rows on."""
        if len(ids) >= hnsw_threshold:
            inner: faiss.Index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        return cls(index)

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        index = faiss.read_index(str(path))
        if isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW):
            faiss.downcast_index(index.index).hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def kind(self) -> str:
        return "hnsw" if isinstance(faiss.downcast_index(self._index.index), faiss.IndexHNSW) else "flat"

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int, *, allowed_ids: np.ndarray | None = None) -> DenseHits:
        """The ``k`` nearest chunks to one query vector, optionally only among ``allowed_ids``."""
        k = min(k, len(self))
        if k <= 0:
            return DenseHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        params = None
        if allowed_ids is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(HNSW_EF_SEARCH, k))
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
        scores, ids = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
        )
        keep = ids[0] >= 0
        return DenseHits(ids[0][keep], scores[0][keep])

    def with_changes(
        self,
        *,
        removed: np.ndarray,
        added_ids: np.ndarray,
        added_vectors: np.ndarray,
        hnsw_threshold: int,
    ) -> DenseIndex:
        """A new index without ``removed`` and with the added vectors; ``self`` is unchanged.

        An HNSW graph that only grows is extended in place of a copy; any other change rebuilds
        from the stored vectors (exact indexes rebuild in a memory copy's time).
        """
        total = len(self) - len(removed) + len(added_ids)
        if self.kind == "hnsw" and len(removed) == 0 and total >= hnsw_threshold:
            index = faiss.clone_index(self._index)
            if len(added_ids):
                index.add_with_ids(
                    np.ascontiguousarray(added_vectors, dtype=np.float32),
                    np.asarray(added_ids, dtype=np.int64),
                )
            return DenseIndex(index)
        ids, vectors = self.arrays()
        keep = ~np.isin(ids, removed)
        return DenseIndex.build(
            np.concatenate([ids[keep], np.asarray(added_ids, dtype=np.int64)]),
            np.concatenate(
                [vectors[keep], np.asarray(added_vectors, dtype=np.float32).reshape(-1, self.dim)]
            ),
            dim=self.dim,
            hnsw_threshold=hnsw_threshold,
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All (ids, vectors), in insertion order."""
        n = len(self)
        if n == 0:
            return np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32)
        return self.all_ids(), self._index.index.reconstruct_n(0, n)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (each must be in the index)."""
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def all_ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)
