"""Dense retrieval in Milvus: the ``vector`` field of a version's chunks collection.

The collection is searched by inner product over unit vectors like the FAISS index: exactly
(``FLAT``) below the HNSW threshold, with an ``HNSW`` graph of the same M and efConstruction from
it, and the same efSearch for the collection's size. A scope is a filter expression
(:mod:`index.milvus.expressions`), evaluated by Milvus next to the vectors.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from core.errors import IndexCorrupt
from index.backends.base import DenseHits, Scope
from index.backends.faiss_dense import ef_search_for
from index.milvus.client import errors, query_all, query_by_ids
from index.milvus.expressions import scope_filter

logger = logging.getLogger(__name__)


class MilvusDense:
    """The chunk vectors of one version in Milvus (a :class:`~index.backends.base.DenseBackend`)."""

    remote = True

    def __init__(self, client: Any, *, uri: str, collection: str, dim: int, size: int, kind: str) -> None:
        self._client = client
        self._uri = uri
        self.collection = collection
        self._dim = dim
        self._size = size
        self._kind = kind

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self._size

    def search(self, query: np.ndarray, k: int, *, scope: Scope | None = None) -> DenseHits:
        k = min(k, len(self))
        if k <= 0:
            return DenseHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        params: dict[str, Any] = {"metric_type": "IP"}
        if self._kind == "hnsw":
            params["params"] = {"ef": max(ef_search_for(len(self)), k)}
        with errors(self._uri, "searching the chunk vectors"):
            results = self._client.search(
                self.collection,
                data=[np.asarray(query, dtype=np.float32).reshape(-1).tolist()],
                anns_field="vector",
                limit=k,
                filter=scope_filter(scope) if scope is not None else "",
                output_fields=[],
                search_params=params,
            )
        hits = results[0]
        return DenseHits(
            np.array([h["id"] for h in hits], dtype=np.int64),
            np.array([h["distance"] for h in hits], dtype=np.float32),
        )

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        wanted = np.asarray(ids, dtype=np.int64)
        if len(wanted) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        unique = np.unique(wanted)
        with errors(self._uri, "reading chunk vectors"):
            rows = query_by_ids(
                self._client, self.collection, unique.tolist(), field="id", output_fields=["vector"]
            )
        if len(rows) != len(unique):
            found = {int(r["id"]) for r in rows}
            missing = [int(i) for i in unique if int(i) not in found]
            raise IndexCorrupt(f"chunks missing from Milvus collection {self.collection}: {missing[:5]}")
        rows.sort(key=lambda r: int(r["id"]))
        table = np.array([r["vector"] for r in rows], dtype=np.float32).reshape(-1, self._dim)
        return table[np.searchsorted(unique, wanted)]

    def all_ids(self) -> np.ndarray:
        with errors(self._uri, "listing the chunks"):
            ids = [
                int(r["id"])
                for r in query_all(self._client, self.collection, filter="id >= 0", output_fields=["id"])
            ]
        return np.sort(np.array(ids, dtype=np.int64))
