"""A :class:`~index.backends.base.Scope` over a local version: the chunk ids FAISS may return and
the rows bm25s may propose, without listing them per request.

A language is the lexical index's language rows (computed once per version and language); a kind
is looked up once per version and kind and kept (a few kinds, each a sorted id array); a document
or a year is an indexed lookup of a few ids. Several filters intersect. Sets that recur (one
language, one kind, and either with a language) are named, so FAISS keeps their search selector.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from index.backends.base import Scope
from index.records import Filters

if TYPE_CHECKING:
    from index.backends.bm25s_lexical import LexicalIndex
    from index.catalog import CatalogReader

KINDS_KEPT = 32
"""Kinds whose chunk ids are kept per version (the least recently used go first)."""
CACHED_FILTERS = 4
"""Filter results kept per version: a question resolves its filters for each dense search and
the lexical one, and widget users repeat a filter."""


@dataclass(frozen=True)
class Allowed:
    """The chunks that pass a request's filters."""

    ids: np.ndarray
    """Sorted chunk ids."""
    rows: np.ndarray
    """Boolean mask over the lexical index's rows."""
    key: str | None = None
    """Names a set that recurs (``lang:ar``, ``kind:summary``), else None."""


class LocalScopes:
    """Resolves scopes with the catalog (filters) and the lexical index (chunk languages)."""

    def __init__(self, catalog: CatalogReader | None, lexical: LexicalIndex) -> None:
        self._catalog = catalog
        self._lexical = lexical
        self._kinds: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._allowed: OrderedDict[Filters, Allowed] = OrderedDict()
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
        with self._lock:
            found = self._allowed.get(filters)
            if found is not None:
                self._allowed.move_to_end(filters)
                return found
        allowed = self._resolve(filters)
        with self._lock:
            self._allowed[filters] = allowed
            while len(self._allowed) > CACHED_FILTERS:
                self._allowed.popitem(last=False)
        return allowed

    def _resolve(self, filters: Filters) -> Allowed:
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

    def ids(self, scope: Scope) -> tuple[np.ndarray | None, str | None]:
        """The ids a search in ``scope`` may return (None: any) and, when the set recurs, its name
        (FAISS keeps that set's selector)."""
        allowed = self.allowed(scope.filters)
        lang = scope.lang
        if lang is None:
            return (None, None) if allowed is None else (allowed.ids, allowed.key)
        ids = self._lexical.language_ids(lang)
        if allowed is None:
            return ids, lang
        key = f"{allowed.key}&{lang}" if allowed.key is not None else None
        return np.intersect1d(ids, allowed.ids, assume_unique=True), key

    def row_mask(self, scope: Scope) -> np.ndarray | None:
        """Which rows of the lexical index a search in ``scope`` may propose (None: all)."""
        allowed = self.allowed(scope.filters)
        mask = self._lexical.language_mask(scope.lang) if scope.lang is not None else None
        if allowed is None:
            return mask
        return allowed.rows if mask is None else mask & allowed.rows
