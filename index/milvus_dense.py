"""Milvus as the dense side of search, for collections past one machine.

:class:`MilvusDenseIndex` answers the three calls :func:`index.search.search` makes of a dense
index — ``search(vector, k, allowed_ids=...)``, ``vectors(ids)`` and ``len()`` — from a Milvus
collection of (chunk id, vector) with an HNSW index over inner product, like
:class:`index.dense.DenseIndex` does from FAISS. BM25, fusion, the catalog and highlighting stay
marja's. ``uri`` is a Milvus server (``http://host:19530``) or, for tests and trials, a local
file served by ``milvus-lite``. Install with ``pip install 'marja[milvus]'``.

One collection holds one index version: publish a version by loading its vectors into a new
collection, then point an alias at it (Milvus switches aliases atomically, as ``CURRENT`` does
for files). See ``docs/scaling.md``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from index.dense import HNSW_EF_CONSTRUCTION, HNSW_M, DenseHits, DenseIndex, ef_search_for

logger = logging.getLogger(__name__)

INSERT_BATCH = 5_000


def _client(uri: str) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as e:  # an optional backend
        raise RuntimeError("the Milvus backend needs pymilvus: pip install 'marja[milvus]'") from e
    return MilvusClient(uri)


class MilvusDenseIndex:
    """Chunk vectors in a Milvus collection, searched like :class:`DenseIndex`."""

    kind = "milvus"

    def __init__(self, client: Any, collection: str, *, dim: int, size: int) -> None:
        self._client = client
        self.collection = collection
        self.dim = dim
        self._size = size

    @classmethod
    def create(cls, uri: str, collection: str, ids: np.ndarray, vectors: np.ndarray) -> MilvusDenseIndex:
        """Load ``vectors`` (unit rows) under ``ids`` into a new ``collection`` (replaces one so named)."""
        from pymilvus import DataType

        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise ValueError(f"{len(ids)} ids for vectors of shape {vectors.shape}")
        dim = int(vectors.shape[1])
        client = _client(uri)
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = client.prepare_index_params()
        params.add_index(
            field_name="vector",
            index_type="HNSW",
            metric_type="IP",
            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
        )
        client.create_collection(collection, schema=schema, index_params=params)
        for start in range(0, len(ids), INSERT_BATCH):
            rows = [
                {"id": int(i), "vector": v.tolist()}
                for i, v in zip(
                    ids[start : start + INSERT_BATCH], vectors[start : start + INSERT_BATCH], strict=True
                )
            ]
            client.insert(collection, rows)
        client.load_collection(collection)
        logger.info("loaded %d vectors into Milvus collection %s", len(ids), collection)
        return cls(client, collection, dim=dim, size=len(ids))

    @classmethod
    def from_dense(cls, uri: str, collection: str, dense: DenseIndex) -> MilvusDenseIndex:
        """The vectors of a FAISS index (a published version) in a new Milvus collection."""
        ids, vectors = dense.arrays()
        return cls.create(uri, collection, ids, vectors)

    def __len__(self) -> int:
        return self._size

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed_ids: np.ndarray | None = None,
        cache_key: str | None = None,  # the filter is sent with each search; nothing to cache
    ) -> DenseHits:
        """The ``k`` nearest chunks to one query vector, optionally only among ``allowed_ids``."""
        k = min(k, len(self))
        if k <= 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return DenseHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        kwargs: dict[str, Any] = {}
        if allowed_ids is not None:
            # Integers only, so the expression cannot carry anything else.
            kwargs["filter"] = f"id in [{', '.join(str(int(i)) for i in allowed_ids)}]"
        results = self._client.search(
            self.collection,
            data=[np.asarray(query, dtype=np.float32).reshape(-1).tolist()],
            limit=k,
            output_fields=[],
            search_params={"metric_type": "IP", "params": {"ef": max(ef_search_for(len(self)), k)}},
            **kwargs,
        )
        hits = results[0]
        return DenseHits(
            np.array([h["id"] for h in hits], dtype=np.int64),
            np.array([h["distance"] for h in hits], dtype=np.float32),
        )

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (each must be in the collection), in the order given."""
        wanted = [int(i) for i in np.asarray(ids, dtype=np.int64)]
        if not wanted:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._client.get(self.collection, ids=sorted(set(wanted)), output_fields=["vector"])
        by_id = {int(r["id"]): r["vector"] for r in rows}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise KeyError(f"not in Milvus collection {self.collection}: {missing[:5]}")
        return np.array([by_id[i] for i in wanted], dtype=np.float32).reshape(-1, self.dim)

    def close(self) -> None:
        self._client.close()
