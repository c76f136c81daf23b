"""Dense retrieval: FAISS inner-product search over unit vectors, with explicit chunk ids.

Small collections use exact search (``IndexFlatIP``); from ``hnsw_threshold`` vectors on, an
HNSW graph (``IndexHNSWFlat``) answers in sub-linear time. Both sit inside ``IndexIDMap2`` so
results carry the chunk ids of the collection and vectors can be read back by id.

A published index is loaded memory-mapped: the vectors stay in the file (read-only, shared
through the page cache by every process serving the same version) instead of being copied
into each process, so loading takes milliseconds whatever the size.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.backends.base import DenseHits, Scope
from index.backends.local_scope import LocalScopes

logger = logging.getLogger(__name__)

# FAISS >= 1.11 maps the vectors of flat storage (IndexFlat, the storage of IndexHNSWFlat).
_MMAP_FLAGS = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if hasattr(faiss, "IO_FLAG_MMAP_IFC") else 0

HNSW_M = 64
"""Links per node. At 1M chunks M=64 reaches recall@10 0.98 at about two thirds of the search
effort M=32 needs (which stays under 0.97 even at efSearch 1024); it costs 256 more bytes
per vector and about a fifth more build time (``bench/scale.py``, ``docs/scaling.md``)."""
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
"""The smallest search breadth; larger indexes search wider (:func:`ef_search_for`)."""
HNSW_EF_SEARCH_MAX = 1024
SELECTORS_KEPT = 64
"""Search selectors kept per index for sets of ids that recur (a language, a kind, both)."""


def ef_search_for(n: int) -> int:
    """HNSW search breadth for ``n`` vectors: 0.8·√n within [128, 1024].

    Keeping recall@10 at 0.98 against exact search takes a breadth that grows with the
    collection: about 250 at 100k chunks and 800 at 1M on the scale benchmark, where a fixed
    128 gives 0.91 at 1M.
    """
    return int(min(HNSW_EF_SEARCH_MAX, max(HNSW_EF_SEARCH, round(0.8 * math.sqrt(max(n, 0))))))


class DenseIndex:
    """A FAISS index of chunk vectors keyed by chunk id."""

    def __init__(self, index: Any, *, mapped_from: Path | None = None) -> None:
        self._index = index  # faiss.IndexIDMap2 (FAISS's bundled stubs are partial)
        self._mapped_from = mapped_from  # the file whose pages back the vectors, if mapped
        self._selectors: dict[str, Any] = {}
        self._selectors_lock = threading.Lock()

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, *, dim: int, hnsw_threshold: int) -> DenseIndex:
        """Index ``vectors`` (unit rows) under ``ids``; HNSW from ``hnsw_threshold`` rows on."""
        if len(ids) >= hnsw_threshold:
            inner: Any = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        _set_ef_search(index)
        return cls(index)

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> DenseIndex:
        """Read an index; ``mmap`` maps its vectors from the file (read-only) instead of copying them."""
        index = faiss.read_index(str(path), _MMAP_FLAGS if mmap else 0)
        _set_ef_search(index)
        if mmap:
            _prefetch(path)
        return cls(index, mapped_from=path if mmap else None)

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

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed_ids: np.ndarray | None = None,
        cache_key: str | None = None,
    ) -> DenseHits:
        """The ``k`` nearest chunks to one query vector, optionally only among ``allowed_ids``.

        ``cache_key`` names a set of ``allowed_ids`` that recurs (the chunks of one language):
        its selector is built once per index instead of once per question.
        """
        k = min(k, len(self))
        if k <= 0:
            return DenseHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        params = None
        if allowed_ids is not None:
            selector = self._selector(allowed_ids, cache_key)
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(ef_search_for(len(self)), k))  # type: ignore[attr-defined]
                if self.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            )
        with _one_thread():
            scores, ids = self._index.search(
                np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
            )
        keep = ids[0] >= 0
        return DenseHits(ids[0][keep], scores[0][keep])

    def _selector(self, allowed_ids: np.ndarray, cache_key: str | None) -> Any:
        if cache_key is None:
            return faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
        selector = self._selectors.get(cache_key)
        if selector is None:
            with self._selectors_lock:
                selector = self._selectors.get(cache_key)
                if selector is None:
                    selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
                    self._selectors[cache_key] = selector
                    while len(self._selectors) > SELECTORS_KEPT:  # the oldest goes first
                        del self._selectors[next(iter(self._selectors))]
        return selector

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
            index = self._owned_copy()
            if len(added_ids):
                index.add_with_ids(
                    np.ascontiguousarray(added_vectors, dtype=np.float32),
                    np.asarray(added_ids, dtype=np.int64),
                )
            _set_ef_search(index)
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

    def _owned_copy(self) -> Any:
        """A copy that can be added to (a mapped index is read-only, and so are its clones)."""
        if self._mapped_from is None:
            return faiss.clone_index(self._index)
        try:
            return faiss.read_index(str(self._mapped_from))
        except RuntimeError:  # the file is gone: copy what the mapping still holds
            return faiss.deserialize_index(faiss.serialize_index(self._index))

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
        return self._index.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def all_ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)


class FaissDense:
    """A :class:`DenseIndex` of a local version as a :class:`~index.backends.base.DenseBackend`:
    a scope becomes the ids FAISS may return (:class:`LocalScopes`)."""

    remote = False

    def __init__(self, index: DenseIndex, scopes: LocalScopes) -> None:
        self.index = index
        self.scopes = scopes

    @property
    def kind(self) -> str:
        return self.index.kind

    @property
    def dim(self) -> int:
        return self.index.dim

    def __len__(self) -> int:
        return len(self.index)

    def search(self, query: np.ndarray, k: int, *, scope: Scope | None = None) -> DenseHits:
        if scope is None or scope.is_everything:
            return self.index.search(query, k)
        allowed, cache_key = self.scopes.ids(scope)
        if allowed is not None and len(allowed) == 0:  # nothing to scan for
            return DenseHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        return self.index.search(query, k, allowed_ids=allowed, cache_key=cache_key)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return self.index.vectors(ids)

    def all_ids(self) -> np.ndarray:
        return np.sort(self.index.all_ids())


def _set_ef_search(index: Any) -> None:
    """Set the search breadth of an ``IndexIDMap2`` over HNSW for its current size."""
    inner = faiss.downcast_index(index.index)
    if isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = ef_search_for(index.ntotal)


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run FAISS calls of this thread on one OpenMP thread (the setting is per thread).

    One question is too little work to share: FAISS's exact search would split it across
    threads, and on a busy machine waiting for the second thread to be scheduled costs far
    more than the scan (measured: 60 ms instead of 0.7 ms for 10k vectors on 2 busy cores).
    Concurrent questions already use the cores. Builds keep all threads.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _prefetch(path: Path) -> None:
    """Ask the kernel to read ``path`` into the page cache in the background.

    FAISS maps the file for random access (no read-ahead), so on a cold cache the first
    queries would each fault in pages one by one; this warms the cache without blocking.
    """
    if not hasattr(os, "posix_fadvise"):
        return

    def advise() -> None:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
            finally:
                os.close(fd)
        except OSError as e:  # only a hint
            logger.debug("could not prefetch %s: %s", path, e)

    threading.Thread(target=advise, name="dense-prefetch", daemon=True).start()
