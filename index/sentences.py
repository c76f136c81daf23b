"""Per-sentence vectors of multi-sentence chunks: they pick the sentence to highlight.

Stored as one float16 matrix (``sentences.npy``) plus a table (``sentence_index.npy``) of
(chunk id, first row, row count), sorted by chunk id.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

VECTORS = "sentences.npy"
INDEX = "sentence_index.npy"


class SentenceVectors:
    def __init__(self, table: np.ndarray, vectors: np.ndarray) -> None:
        self._table = table  # int64 [n, 3]: chunk id, first row, count
        self.vectors = vectors

    @classmethod
    def empty(cls, dim: int) -> SentenceVectors:
        return cls(np.zeros((0, 3), dtype=np.int64), np.zeros((0, dim), dtype=np.float16))

    @classmethod
    def load(cls, directory: Path) -> SentenceVectors:
        return cls(np.load(directory / INDEX), np.load(directory / VECTORS, mmap_mode="r"))

    def save(self, directory: Path) -> None:
        np.save(directory / INDEX, self._table)
        np.save(directory / VECTORS, self.vectors)

    def __len__(self) -> int:
        return len(self.vectors)

    def of(self, chunk_id: int) -> np.ndarray | None:
        """The sentence vectors of ``chunk_id`` (float32), or None if it has none."""
        i = int(np.searchsorted(self._table[:, 0], chunk_id))
        if i >= len(self._table) or self._table[i, 0] != chunk_id:
            return None
        first, count = int(self._table[i, 1]), int(self._table[i, 2])
        return np.asarray(self.vectors[first : first + count], dtype=np.float32)

    def with_changes(
        self, *, removed: set[int], added: Mapping[int, np.ndarray], dim: int
    ) -> SentenceVectors:
        """A new store without the ``removed`` chunks and with the ``added`` ones."""
        parts: list[np.ndarray] = []
        rows: list[tuple[int, int, int]] = []
        next_row = 0
        for chunk_id, first, count in self._table.tolist():
            if chunk_id in removed:
                continue
            parts.append(np.asarray(self.vectors[first : first + count]))
            rows.append((chunk_id, next_row, count))
            next_row += count
        for chunk_id, vectors in added.items():
            parts.append(vectors.astype(np.float16))
            rows.append((chunk_id, next_row, len(vectors)))
            next_row += len(vectors)
        table = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)
        vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float16)
        return SentenceVectors(table, vectors)
