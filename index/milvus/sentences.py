"""Sentence vectors in Milvus: one row per sentence of a multi-sentence chunk.

A question reads the sentences of its candidates in one query and scores them in memory, exactly
as it does with the local file (:class:`index.sentences.SentenceVectors`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from index.milvus.client import errors, query_by_ids
from index.sentences import SentenceVectors


class MilvusSentences:
    """The sentence vectors of one version (a :class:`~index.backends.base.SentenceBackend`)."""

    def __init__(self, client: Any, *, uri: str, collection: str, dim: int, size: int) -> None:
        self._client = client
        self._uri = uri
        self.collection = collection
        self._dim = dim
        self._size = size

    def __len__(self) -> int:
        return self._size

    def subset(self, chunk_ids: np.ndarray) -> SentenceVectors:
        wanted = np.unique(np.asarray(chunk_ids, dtype=np.int64))
        if len(wanted) == 0 or self._size == 0:
            return SentenceVectors.empty(self._dim)
        with errors(self._uri, "reading sentence vectors"):
            rows = query_by_ids(
                self._client,
                self.collection,
                wanted.tolist(),
                field="chunk_id",
                output_fields=["chunk_id", "position", "vector"],
            )
        return sentence_table(rows, dim=self._dim)


def sentence_table(rows: list[dict[str, Any]], *, dim: int) -> SentenceVectors:
    """Sentence rows (chunk id, position, vector) as an in-memory store."""
    if not rows:
        return SentenceVectors.empty(dim)
    rows.sort(key=lambda r: (int(r["chunk_id"]), int(r["position"])))
    owners = np.array([int(r["chunk_id"]) for r in rows], dtype=np.int64)
    chunk_ids, firsts, counts = np.unique(owners, return_index=True, return_counts=True)
    table = np.column_stack([chunk_ids, firsts, counts]).astype(np.int64)
    vectors = np.array([r["vector"] for r in rows], dtype=np.float32).reshape(-1, dim).astype(np.float16)
    return SentenceVectors(table, vectors)
