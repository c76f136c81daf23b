"""Lexical retrieval on the local disk: BM25 (bm25s) over analysed terms (see :mod:`text.analyzer`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from index.backends.base import BM25_B, BM25_K1, LexicalHits, Scope
from index.backends.local_scope import LocalScopes

logger = logging.getLogger(__name__)


class LexicalIndex:
    """BM25 over the chunks of a collection; row ``i`` of the index is chunk ``ids[i]``."""

    def __init__(self, bm25: bm25s.BM25 | None, ids: np.ndarray, langs: np.ndarray) -> None:
        self._bm25 = bm25
        self.ids = ids  # sorted chunk ids, one per row
        self.langs = langs  # language code of each row
        self._lang_masks: dict[str, np.ndarray] = {}
        self._lang_ids: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # The score matrix (CSC: a column of (row, score) per term), as plain arrays: bm25s
        # loads them as np.memmap, whose slicing costs Python overhead on every question.
        self._columns = (
            tuple(np.asarray(bm25.scores[key]) for key in ("data", "indices", "indptr"))
            if bm25 is not None
            else None
        )

    @classmethod
    def build(cls, ids: np.ndarray, terms: Sequence[list[str]], langs: Sequence[str]) -> LexicalIndex:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) and not np.all(ids[1:] > ids[:-1]):
            raise ValueError("lexical rows must be in increasing chunk-id order")
        lang_array = np.asarray(list(langs), dtype="<U8")
        if len(ids) == 0:
            return cls(None, ids, lang_array)
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
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
        ids = np.load(directory / "ids.npy")  # searched on every question: in memory
        # 32 bytes a row, read once per language (``language_mask``): left on disk.
        langs = np.load(directory / "langs.npy", mmap_mode="r" if mmap else None)
        if len(ids) == 0:
            return cls(None, ids, langs)
        bm25 = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
        return cls(bm25, ids, langs)

    def rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Row numbers of ``chunk_ids`` (each must be in the index)."""
        return np.searchsorted(self.ids, chunk_ids)

    def __len__(self) -> int:
        return len(self.ids)

    def langs_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """The language of each of ``chunk_ids`` (each must be in the index)."""
        return np.asarray(self.langs[self.rows_of(chunk_ids)]) if len(chunk_ids) else np.zeros(0, "<U8")

    def max_score(self, terms: Sequence[str], *, unseen: bool = False) -> float:
        """The most any chunk could score for ``terms``: the sum of their idf (duplicates kept).

        bm25s's Lucene BM25 multiplies idf by a term-frequency factor that never exceeds 1.
        A term's document frequency is the length of its column in the score matrix. With
        ``unseen``, terms no chunk contains count too, at the idf of a term in no chunk: a
        passage that matches the question's common words but none of its rare ones then scores
        low, instead of as high as if those words did not exist.
        """
        if self._bm25 is None:
            return 0.0
        terms = list(terms)
        term_ids = np.asarray(self._bm25.get_tokens_ids(terms), dtype=np.int64)
        n = float(self._bm25.scores["num_docs"])
        missing = len(terms) - len(term_ids) if unseen else 0
        total = missing * float(np.log1p((n + 0.5) / 0.5))
        if len(term_ids) == 0:
            return total
        assert self._columns is not None
        indptr = self._columns[2]
        df = (np.asarray(indptr[term_ids + 1]) - np.asarray(indptr[term_ids])).astype(np.float64)
        return total + float(np.log1p((n - df + 0.5) / (df + 0.5)).sum())

    def knows_any(self, terms: Sequence[str]) -> bool:
        """Whether any of ``terms`` occurs in a chunk of the index (in any language)."""
        if self._bm25 is None or not terms:
            return False
        return len(self._bm25.get_tokens_ids(list(terms))) > 0

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for ``terms`` (zeros when no term is in the vocabulary)."""
        return self.search(terms, 0).scores

    def search(self, terms: Sequence[str], k: int, *, mask: np.ndarray | None = None) -> RowHits:
        """BM25 of every row for ``terms``, and the ``k`` best rows that score (among ``mask``).

        bm25s stores each (term, row) score once, as a column per term; a row's score is the
        sum over the question's terms (a repeated term counts again). The best rows are picked
        from the question terms' columns rather than from all rows, and only among those that
        reach the k-th best score of the rarest term's rows (a lower bound of the answer's
        k-th score), so ranking stays cheap even when common terms cover much of a collection.
        """
        n = len(self.ids)
        empty = np.zeros(0, dtype=np.int64)
        if self._bm25 is None:
            return RowHits(np.zeros(0, dtype=np.float32), empty)
        term_ids = self._bm25.get_tokens_ids(list(terms))
        if not term_ids:
            return RowHits(np.zeros(n, dtype=np.float32), empty)
        assert self._columns is not None
        data, indices, indptr = self._columns
        scores = np.zeros(n, dtype=np.float32)
        columns = []
        unique, counts = np.unique(np.asarray(term_ids, dtype=np.int64), return_counts=True)
        for term, count in zip(unique.tolist(), counts.tolist(), strict=True):
            start, end = int(indptr[term]), int(indptr[term + 1])
            rows = indices[start:end]
            values = data[start:end]
            np.add.at(scores, rows, values if count == 1 else values * np.float32(count))
            columns.append(rows)
        if k <= 0:
            return RowHits(scores, empty)
        # The rows of the shortest column are candidates too: the k-th best of them bounds the
        # k-th best overall from below, so only rows that reach it need ranking.
        floor = _kth_best(scores, min(columns, key=len), k, mask)
        if sum(len(c) for c in columns) * 8 > n:
            # Long columns: gathering from them costs more than one scan of all rows.
            scoring = scores >= floor if floor > 0 else scores > 0
            if mask is not None:
                scoring &= mask
            candidates = np.flatnonzero(scoring)
        else:
            candidates = columns[0] if len(columns) == 1 else np.concatenate(columns)
            candidates = candidates[scores[candidates] >= floor] if floor > 0 else candidates
            if mask is not None:
                candidates = candidates[mask[candidates]]
            if len(columns) > 1:
                candidates = np.unique(candidates)  # a row in several columns appears once
        return RowHits(scores, _best(scores, candidates, k, None))

    def language_mask(self, lang: str) -> np.ndarray:
        """Which rows are in ``lang`` (a boolean array, computed once per language)."""
        mask = self._lang_masks.get(lang)
        if mask is None:
            with self._lock:
                mask = self._lang_masks.get(lang)
                if mask is None:
                    mask = np.array(self.langs == lang, dtype=bool)
                    mask.flags.writeable = False
                    self._lang_masks[lang] = mask
        return mask

    def language_ids(self, lang: str) -> np.ndarray:
        """The chunk ids in ``lang``, sorted (computed once per language)."""
        ids = self._lang_ids.get(lang)
        if ids is None:
            ids = self.ids[self.language_mask(lang)]
            ids.flags.writeable = False
            with self._lock:
                self._lang_ids[lang] = ids
        return ids

    def row_mask(self, chunk_ids: np.ndarray) -> np.ndarray:
        """A boolean array over the rows, true for the rows of ``chunk_ids`` that are indexed."""
        mask = np.zeros(len(self.ids), dtype=bool)
        if len(self.ids) and len(chunk_ids):
            chunk_ids = np.asarray(chunk_ids, dtype=np.int64)
            rows = np.minimum(self.rows_of(chunk_ids), len(self.ids) - 1)
            mask[rows[self.ids[rows] == chunk_ids]] = True
        return mask


class Bm25sLexical:
    """A :class:`LexicalIndex` of a local version as a :class:`~index.backends.base.LexicalBackend`:
    a scope becomes the rows it may propose (:class:`LocalScopes`)."""

    def __init__(self, index: LexicalIndex, scopes: LocalScopes) -> None:
        self.index = index
        self.scopes = scopes

    def __len__(self) -> int:
        return len(self.index)

    def search(self, terms: Sequence[str], k: int, *, scope: Scope) -> LexicalHits:
        index = self.index
        hits = index.search(terms, k, mask=self.scopes.row_mask(scope))
        scores = hits.scores

        def score_of(ids: np.ndarray) -> np.ndarray:
            if len(scores) == 0:
                return np.zeros(len(ids), dtype=np.float32)
            return scores[index.rows_of(ids)]

        proposed = scores[hits.rows] if len(hits.rows) else np.zeros(0, dtype=np.float32)
        return LexicalHits(ids=index.ids[hits.rows], scores=proposed, score_of=score_of)

    def max_score(self, terms: Sequence[str], *, unseen: bool = False) -> float:
        return self.index.max_score(terms, unseen=unseen)

    def langs_of(self, ids: np.ndarray) -> np.ndarray:
        return self.index.langs_of(ids)

    def knows_any(self, terms: Sequence[str]) -> bool:
        return self.index.knows_any(terms)


@dataclass(frozen=True)
class RowHits:
    scores: np.ndarray  # float32 BM25 of every row
    rows: np.ndarray  # int64 rows with the best positive scores, in no particular order


def _kth_best(scores: np.ndarray, rows: np.ndarray, k: int, mask: np.ndarray | None) -> float:
    """The ``k``-th highest score among ``rows`` (within ``mask``), or 0 when there are fewer."""
    if mask is not None:
        rows = rows[mask[rows]]
    if len(rows) < k:
        return 0.0
    picked = scores[rows]
    return float(np.partition(picked, len(picked) - k)[len(picked) - k])


def _best(scores: np.ndarray, rows: np.ndarray, k: int, mask: np.ndarray | None) -> np.ndarray:
    """Of ``rows``, the (at most) ``k`` with the highest positive score, among ``mask`` if given."""
    rows = np.asarray(rows, dtype=np.int64)
    if mask is not None:
        rows = rows[mask[rows]]
    picked = scores[rows]
    keep = picked > 0
    rows, picked = rows[keep], picked[keep]
    if len(rows) > k:
        rows = rows[np.argpartition(-picked, k - 1)[:k]] if k > 0 else rows[:0]
    return rows
