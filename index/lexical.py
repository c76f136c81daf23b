"""Lexical retrieval: BM25 (bm25s) over analysed terms (see :mod:`index.analyzer`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

logger = logging.getLogger(__name__)


class LexicalIndex:
    """BM25 over the chunks of a collection; row ``i`` of the index is chunk ``ids[i]``."""

    def __init__(self, bm25: bm25s.BM25 | None, ids: np.ndarray, langs: np.ndarray) -> None:
        self._bm25 = bm25
        self.ids = ids  # sorted chunk ids, one per row
        self.langs = langs  # language code of each row

    @classmethod
    def build(cls, ids: np.ndarray, terms: Sequence[list[str]], langs: Sequence[str]) -> LexicalIndex:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and not np.all(ids[1:] > ids[:-1]):
            raise ValueError("lexical rows must be in increasing chunk-id order")
        lang_array = np.asarray(list(langs), dtype="<U8")
        if len(ids) == 0:
            return cls(None, ids, lang_array)
        bm25 = bm25s.BM25()
        bm25.index([t or [""] for t in terms], show_progress=False)
        return cls(bm25, ids, lang_array)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "ids.npy", self.ids)
        np.save(directory / "langs.npy", self.langs)
        if self._bm25 is not None:
            self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> LexicalIndex:
        ids = np.load(directory / "ids.npy")
        langs = np.load(directory / "langs.npy")
        if len(ids) == 0:
            return cls(None, ids, langs)
        bm25 = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
        return cls(bm25, ids, langs)

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row numbers of ``chunk_ids`` (each must be in the index)."""
        return np.searchsorted(self.ids, chunk_ids)

    def __len__(self) -> int:
        return len(self.ids)

    def max_score(self, terms: Sequence[str]) -> float:
        """The most any chunk could score for ``terms``: the sum of their idf (duplicates kept).

        bm25s's Lucene BM25 multiplies idf by a term-frequency factor that never exceeds 1.
        A term's document frequency is the length of its column in the score matrix.
        """
        if self._bm25 is None:
            return 0.0
        term_ids = np.asarray(self._bm25.get_tokens_ids(list(terms)), dtype=np.int64)
        if len(term_ids) == 0:
            return 0.0
        indptr = self._bm25.scores["indptr"]
        n = float(self._bm25.scores["num_docs"])
        df = (np.asarray(indptr[term_ids + 1]) - np.asarray(indptr[term_ids])).astype(np.float64)
        return float(np.log1p((n - df + 0.5) / (df + 0.5)).sum())

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for ``terms`` (zeros when no term is in the vocabulary)."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        term_ids = self._bm25.get_tokens_ids(list(terms))
        if not term_ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(term_ids), dtype=np.float32)
