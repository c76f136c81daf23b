"""Where index versions live and how a new one is published, whatever the backend.

A store (:class:`VersionStore`) holds immutable versions and names the current one: a directory
per version and the ``CURRENT`` file on the local disk (:class:`index.store.IndexStore`), a set
of collections per version and an alias in Milvus (:class:`index.milvus.store.MilvusStore`). The
builder (:mod:`index.builder`) decides what changes — which documents go, which chunks come with
which vectors — and hands a :class:`VersionChanges` to the store, which writes the whole new
version beside the current one and publishes it in one atomic switch.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Set
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from core.document import Chunk, Document
from index.backends.base import Catalog, SentenceVectorsView
from index.centring import LanguageMeans
from index.records import DocumentInfo, StoredChunk
from index.snapshot import Snapshot
from text.ordinals import chunk_ordinals

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while a version is built."""


def no_progress(stage: str, done: int, total: int) -> None:
    """A :data:`Progress` that reports nothing."""


@dataclass(frozen=True)
class VersionChanges:
    """What the next version changes in the previous one; everything else is kept as it is."""

    removed_docs: tuple[str, ...]
    """Documents removed or replaced: their old chunks go."""
    removed_ids: frozenset[int]
    """The chunk ids of ``removed_docs`` in the previous version."""
    documents: tuple[Document, ...]
    """Documents written (added or replaced)."""
    chunks: tuple[tuple[int, Chunk], ...]
    """The written documents' chunks with their new ids, in id order."""
    vectors: np.ndarray
    """One vector per chunk of ``chunks``, in that order."""
    sentence_vectors: Mapping[int, np.ndarray]
    """Sentence vectors of the multi-sentence chunks of ``chunks``, by chunk id."""
    means: LanguageMeans
    """The per-language vector statistics after the changes."""
    next_chunk_id: int
    ingested_at: str
    model_id: str
    dim: int
    hnsw_threshold: int
    chunking: dict[str, Any] = field(default_factory=dict)

    @property
    def is_copy(self) -> bool:
        """Nothing changes: the version is the previous one written again (a migration)."""
        return not (self.removed_docs or self.documents)


class VersionStore(Protocol):
    """Immutable index versions and the pointer to the current one."""

    keep_versions: int

    def describe(self) -> str:
        """Where the versions are, for messages (never a secret)."""
        ...

    def current(self) -> str | None:
        """The published version's name, or None when nothing was ever published."""
        ...

    def published(self) -> list[str]:
        """The published versions still kept, oldest first."""
        ...

    def stamp(self) -> Hashable | None:
        """A cheap fingerprint of the pointer to the current version, to notice a publish by
        another process (or another replica)."""
        ...

    def write_lock(self, *, timeout: float) -> AbstractContextManager[None]:
        """Serialise the writers of this store; raises :class:`core.errors.IndexBusy` after
        ``timeout`` seconds."""
        ...

    def load(self, version: str, *, model_id: str, dim: int) -> Snapshot:
        """The published ``version``, loaded; raises :class:`core.errors.ModelMismatch` when it
        was built with another model or text analysis, :class:`core.errors.IndexCorrupt` when
        it cannot be read."""
        ...

    def open_catalog(self, version: str) -> Catalog:
        """The catalog of a kept ``version`` (the caller closes it). Raises
        :class:`core.errors.InvalidVersion`, :class:`core.errors.VersionGone` (pruned) or
        :class:`core.errors.VersionNotFound` (never published)."""
        ...

    def write(self, previous: Snapshot, changes: VersionChanges, *, progress: Progress = no_progress) -> str:
        """Write the version that applies ``changes`` to ``previous`` (the current one, under the
        write lock) and publish it; returns its name. ``previous`` may come from another store
        (a migration). On any failure nothing is published."""
        ...


@dataclass(frozen=True)
class KeptBatch:
    """Chunks of a previous version that the next one keeps, with what rebuilding them needs."""

    ids: np.ndarray
    chunks: dict[int, StoredChunk]
    vectors: np.ndarray
    sentences: SentenceVectorsView


def _with_ordinals(stored: StoredChunk) -> StoredChunk:
    chunk = stored.chunk
    return replace(stored, chunk=replace(chunk, ordinals=chunk_ordinals(chunk.context, chunk.text)))


def kept_batches(previous: Snapshot, removed: Set[int], *, size: int = 2_000) -> Iterator[KeptBatch]:
    """The chunks of ``previous`` not in ``removed``, in id order and batches of ``size``, read
    through the backends' protocols (so a version can be copied between stores). A catalog
    written before ordinals were recorded gets its chunks' ordinals read here, as a local write
    fills them in (:mod:`index.catalog`)."""
    catalog = previous.catalog
    if catalog is None:
        return
    ids = previous.dense.all_ids()
    if removed:
        ids = ids[~np.isin(ids, np.fromiter(removed, dtype=np.int64, count=len(removed)))]
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        chunks = catalog.chunks(part)
        if not catalog.knows_ordinals:
            chunks = {i: _with_ordinals(c) for i, c in chunks.items()}
        yield KeptBatch(
            ids=part,
            chunks=chunks,
            vectors=previous.dense.vectors(part),
            sentences=previous.sentences.subset(part),
        )


def kept_documents(previous: Snapshot, removed: Set[str]) -> list[tuple[Document, DocumentInfo]]:
    """The documents of ``previous`` not in ``removed``, whole, with what the catalog knows of them."""
    if previous.catalog is None:
        return []
    infos = {info.doc_id: info for info in previous.catalog.documents()}
    return [
        (doc, infos[doc.doc_id]) for doc in previous.catalog.load_documents() if doc.doc_id not in removed
    ]
