"""Per-sentence vectors of multi-sentence chunks: they pick the sentence to highlight.

Stored as one float16 matrix (``sentences.npy``) plus a table (``sentence_index.npy``) of
(chunk id, first row, row count), sorted by chunk id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

    def subset(self, chunk_ids: np.ndarray) -> SentenceVectors:
        """What a question reads (:class:`~index.backends.base.SentenceBackend`): all of it, mapped."""
        return self

    def chunk_ids(self) -> np.ndarray:
        """The chunks that have sentence vectors, sorted."""
        return self._table[:, 0].copy()

    def of(self, chunk_id: int) -> np.ndarray | None:
        """The sentence vectors of ``chunk_id`` (float32), or None if it has none."""
        i = int(np.searchsorted(self._table[:, 0], chunk_id))
        if i >= len(self._table) or self._table[i, 0] != chunk_id:
            return None
        first, count = int(self._table[i, 1]), int(self._table[i, 2])
        return np.asarray(self.vectors[first : first + count], dtype=np.float32)

    def _rows_of(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For ``chunk_ids``: which have sentences, and the first row and count of each that has."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if len(self._table) == 0 or len(ids) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return np.zeros(len(ids), dtype=bool), empty, empty
        pos = np.minimum(np.searchsorted(self._table[:, 0], ids), len(self._table) - 1)
        found = self._table[pos, 0] == ids
        return found, self._table[pos[found], 1], self._table[pos[found], 2]

    def best_scores(self, chunk_ids: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The best sentence cosine to ``query`` of each chunk; NaN where a chunk has none.

        One gather and one matrix product for all chunks, instead of one lookup per chunk.
        """
        return self.best_of(chunk_ids, lambda rows, _owners: rows @ np.asarray(query, dtype=np.float32))

    def best_of(
        self, chunk_ids: np.ndarray, score: Callable[[np.ndarray, np.ndarray], np.ndarray], *, width: int = 1
    ) -> np.ndarray:
        """The best ``score(vectors, owners)`` of each chunk's sentences; NaN where a chunk has none.

        ``score`` gets the gathered sentence vectors and, for each, the position in ``chunk_ids``
        of the chunk it belongs to, and returns one score per sentence — or ``width`` scores per
        sentence, each column maximised apart (the result is then [chunks, width]).
        """
        shape = (len(chunk_ids),) if width == 1 else (len(chunk_ids), width)
        out = np.full(shape, np.nan, dtype=np.float32)
        found, firsts, counts = self._rows_of(chunk_ids)
        if len(firsts) == 0:
            return out
        rows, starts = _spans(firsts, counts)
        owners = np.repeat(np.flatnonzero(found), counts)
        sims = score(np.asarray(self.vectors[rows], dtype=np.float32), owners)
        out[found] = np.maximum.reduceat(sims, starts, axis=0)
        return out

    def with_changes(
        self, *, removed: set[int], added: Mapping[int, np.ndarray], dim: int
    ) -> SentenceVectors:
        """A new store without the ``removed`` chunks and with the ``added`` ones."""
        table = self._table
        if removed:
            table = table[~np.isin(table[:, 0], np.fromiter(removed, dtype=np.int64, count=len(removed)))]
        counts = table[:, 2]
        rows, starts = _spans(table[:, 1], counts)  # the kept chunks' rows, packed in table order
        parts = [np.asarray(self.vectors[rows], dtype=np.float16).reshape(-1, dim)]
        tables = [np.column_stack([table[:, 0], starts, counts]).astype(np.int64).reshape(-1, 3)]
        next_row = len(rows)
        for chunk_id, vectors in added.items():
            parts.append(vectors.astype(np.float16).reshape(-1, dim))
            tables.append(np.array([[chunk_id, next_row, len(vectors)]], dtype=np.int64))
            next_row += len(vectors)
        table = np.concatenate(tables)
        table = table[np.argsort(table[:, 0], kind="stable")]
        return SentenceVectors(table, np.concatenate(parts))


def _spans(firsts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of consecutive spans (``first``, ``count``), concatenated, and where each span
    starts among them."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts - firsts, counts), starts
