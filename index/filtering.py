"""Which chunks a request's filters allow, for one index version, without listing them per request.

A language filter is the lexical index's language rows (computed once per version and language);
a kind filter is looked up once per version and kind and kept (a few kinds, each a sorted id
array); a document or a year is an indexed lookup of a few ids. Several filters intersect. Sets
that recur (one language, one kind) are named, so the dense index keeps their search selector.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from index.catalog import CatalogReader, Filters
from index.lexical import LexicalIndex

KINDS_KEPT = 32
"""Kinds whose chunk ids are kept per version (the least recently used go first)."""


@dataclass(frozen=True)
class Allowed:
    """The chunks that pass a request's filters."""

    ids: np.ndarray
    """Sorted chunk ids."""
    rows: np.ndarray
    """Boolean mask over the lexical index's rows."""
    key: str | None = None
    """Names a set that recurs (``lang:ar``, ``kind:summary``), else None."""


class ChunkFilter:
    """Applies :class:`Filters` to one index version."""

    def __init__(self, catalog: CatalogReader | None, lexical: LexicalIndex) -> None:
        self._catalog = catalog
        self._lexical = lexical
        self._kinds: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def _kind(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The chunk ids of the documents of ``kind`` and their lexical rows (kept per version)."""
        with self._lock:
            found = self._kinds.get(kind)
            if found is not None:
                self._kinds.move_to_end(kind)
                return found
        assert self._catalog is not None
        ids = np.asarray(self._catalog.kind_chunk_ids(kind), dtype=np.int64)
        rows = self._lexical.row_mask(ids)
        ids.flags.writeable = rows.flags.writeable = False
        with self._lock:
            self._kinds[kind] = (ids, rows)
            while len(self._kinds) > KINDS_KEPT:
                self._kinds.popitem(last=False)
        return ids, rows

    def allowed(self, filters: Filters) -> Allowed | None:
        """The chunks ``filters`` allow, or None when they allow every chunk."""
        if filters.is_empty():
            return None
        lexical = self._lexical
        if self._catalog is None:
            return Allowed(np.zeros(0, np.int64), np.zeros(len(lexical), dtype=bool))
        # (ids, their rows when known, the name of a recurring set)
        sets: list[tuple[np.ndarray, np.ndarray | None, str | None]] = []
        if filters.lang is not None:
            lang = filters.lang
            sets.append((lexical.language_ids(lang), lexical.language_mask(lang), f"lang:{lang}"))
        if filters.kind is not None:
            sets.append((*self._kind(filters.kind), f"kind:{filters.kind}"))
        if filters.doc_id is not None:
            sets.append((np.asarray(self._catalog.chunk_ids(filters.doc_id), dtype=np.int64), None, None))
        if filters.year is not None:
            sets.append((np.asarray(self._catalog.year_chunk_ids(filters.year), dtype=np.int64), None, None))
        if len(sets) == 1 and sets[0][1] is not None:
            ids, rows, key = sets[0]
            assert rows is not None
            return Allowed(ids, rows, key if len(ids) else None)
        ids = sets[0][0]
        for other, _, _ in sets[1:]:
            ids = np.intersect1d(ids, other, assume_unique=True)
        return Allowed(ids, lexical.row_mask(ids))
