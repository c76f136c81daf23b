"""Build the next index version from the current one and a set of changes.

Only what changed is embedded: an unchanged document (same content hash) is skipped, and in a
changed document every chunk whose text is unchanged keeps its vector.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from core.document import Chunk, Document
from core.errors import DocumentNotFound, InvalidDocument
from index.centring import LanguageMeans
from index.embedders.base import Embedder
from index.snapshot import Snapshot
from index.version_store import Progress, VersionChanges, VersionStore, no_progress
from ingest.chunking import ChunkingOptions, chunk_document

logger = logging.getLogger(__name__)

HNSW_THRESHOLD = 50_000
"""From this many chunks on, dense search is approximate (HNSW)."""


@dataclass(frozen=True)
class BuildOptions:
    chunking: ChunkingOptions = field(default_factory=ChunkingOptions)
    hnsw_threshold: int = HNSW_THRESHOLD
    sentence_vectors: bool = True


@dataclass
class IngestReport:
    """What an ingest did. ``version`` is the version now current (unchanged if nothing changed)."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_total: int = 0
    chunks_per_document: dict[str, int] = field(default_factory=dict)
    version: str | None = None
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed)


def plan_changes(
    previous: Snapshot,
    upserts: Sequence[Document],
    removals: Sequence[str] = (),
    *,
    force: bool = False,
) -> tuple[IngestReport, list[Document]]:
    """What applying the changes to ``previous`` would do, and the documents to (re)write.

    A document is unchanged when its content hash is the same and it comes from the same place
    (a file moved elsewhere is rewritten to record its new origin; its vectors are reused).
    """
    old = previous.catalog.document_hashes() if previous.catalog else {}
    origins = previous.catalog.document_origins() if previous.catalog else {}
    report = IngestReport()
    seen: set[str] = set()
    to_write: list[Document] = []
    for doc_id in removals:
        if doc_id not in old:
            raise DocumentNotFound(doc_id)
        report.removed.append(doc_id)
    for doc in upserts:
        if doc.doc_id in seen:
            raise InvalidDocument(f"the document id {doc.doc_id!r} is given twice in one ingest")
        seen.add(doc.doc_id)
        if doc.doc_id in report.removed:
            raise InvalidDocument(f"{doc.doc_id!r} is both removed and added in one ingest")
        same_origin = doc.origin is None or doc.origin.same_place(origins.get(doc.doc_id))
        if not force and old.get(doc.doc_id) == doc.content_hash and same_origin:
            report.unchanged.append(doc.doc_id)
            continue
        (report.replaced if doc.doc_id in old else report.added).append(doc.doc_id)
        to_write.append(doc)
    report.version = previous.version
    return report, to_write


def build_version(
    store: VersionStore,
    previous: Snapshot,
    *,
    upserts: Sequence[Document] = (),
    removals: Sequence[str] = (),
    embedder: Embedder,
    options: BuildOptions,
    progress: Progress = no_progress,
    force: bool = False,
) -> IngestReport:
    """Write and publish the version that applies the changes to ``previous``.

    The caller holds the store's write lock and passes the version that is current under it.
    ``force`` re-embeds documents even when their content hash is unchanged (re-indexing).
    """
    started = time.perf_counter()
    report, to_write = plan_changes(previous, upserts, removals, force=force)
    previous_chunks = {d["doc_id"]: d["chunks"] for d in previous.manifest.documents}
    for doc_id in report.unchanged:
        report.chunks_per_document[doc_id] = previous_chunks.get(doc_id, 0)
    if not report.changed:
        report.chunks_total = previous.manifest.chunks
        report.seconds = time.perf_counter() - started
        return report

    chunked = [(doc, chunk_document(doc, options.chunking)) for doc in to_write]
    removed_ids = set()
    reuse: dict[str, int] = {}  # chunk content hash → old chunk id with that vector
    if previous.catalog is not None:
        for doc_id in report.removed + report.replaced:
            ids = previous.catalog.chunk_ids(doc_id)
            removed_ids.update(ids)
            if doc_id in report.replaced and not force:
                reuse.update(previous.catalog.chunk_hashes(doc_id))

    next_id = previous.manifest.next_chunk_id
    new_chunks: list[tuple[int, Chunk]] = []
    for doc, chunks in chunked:
        for chunk in chunks:
            new_chunks.append((next_id, chunk))
            next_id += 1
        report.chunks_per_document[doc.doc_id] = len(chunks)

    vectors, sentence_vectors = _vectors_for(
        new_chunks,
        previous,
        reuse,
        embedder=embedder,
        options=options,
        progress=progress,
        report=report,
    )
    changes = VersionChanges(
        removed_docs=tuple(report.removed + report.replaced),
        removed_ids=frozenset(removed_ids),
        documents=tuple(doc for doc, _ in chunked),
        chunks=tuple(new_chunks),
        vectors=vectors,
        sentence_vectors=sentence_vectors,
        means=_means_after(previous, removed_ids, new_chunks, vectors),
        next_chunk_id=next_id,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model_id=embedder.model_id,
        dim=embedder.dim,
        hnsw_threshold=options.hnsw_threshold,
        chunking={"max_chars": options.chunking.max_chars, "min_chars": options.chunking.min_chars},
    )
    report.version = store.write(previous, changes, progress=progress)
    report.chunks_total = previous.manifest.chunks - len(removed_ids) + len(new_chunks)
    report.seconds = time.perf_counter() - started
    logger.info(
        "ingest: %d added, %d replaced, %d removed, %d unchanged; %d chunks embedded, %d reused "
        "(%.1f s) → %s",
        len(report.added),
        len(report.replaced),
        len(report.removed),
        len(report.unchanged),
        report.chunks_embedded,
        report.chunks_reused,
        report.seconds,
        report.version,
    )
    return report


def copy_version(
    store: VersionStore,
    source: Snapshot,
    *,
    hnsw_threshold: int = HNSW_THRESHOLD,
    progress: Progress = no_progress,
) -> str:
    """Write ``source`` (a version of another store) into ``store`` as its next version, vectors
    and all, without embedding anything; returns the new version's name. The caller holds
    ``store``'s write lock."""
    manifest = source.manifest
    changes = VersionChanges(
        removed_docs=(),
        removed_ids=frozenset(),
        documents=(),
        chunks=(),
        vectors=np.zeros((0, manifest.dim), dtype=np.float32),
        sentence_vectors={},
        means=source.means,
        next_chunk_id=manifest.next_chunk_id,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model_id=manifest.model_id,
        dim=manifest.dim,
        hnsw_threshold=hnsw_threshold,
        chunking=dict(manifest.chunking),
    )
    return store.write(source, changes, progress=progress)


def _means_after(
    previous: Snapshot, removed_ids: set[int], new_chunks: list[tuple[int, Chunk]], vectors: np.ndarray
) -> LanguageMeans:
    """The per-language vector statistics of the new version, from the previous one's and the changes."""
    removed = np.fromiter(sorted(removed_ids), dtype=np.int64, count=len(removed_ids))
    return previous.means.with_changes(
        added=(vectors, [chunk.lang for _, chunk in new_chunks]),
        removed=(previous.dense.vectors(removed), previous.lexical.langs_of(removed).tolist()),
    )


def _vectors_for(
    new_chunks: list[tuple[int, Chunk]],
    previous: Snapshot,
    reuse: dict[str, int],
    *,
    embedder: Embedder,
    options: BuildOptions,
    progress: Progress,
    report: IngestReport,
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Chunk vectors (in ``new_chunks`` order) and sentence vectors of multi-sentence chunks."""
    dim = embedder.dim
    vectors = np.zeros((len(new_chunks), dim), dtype=np.float32)
    sentence_vectors: dict[int, np.ndarray] = {}
    to_embed: list[int] = []
    reused: list[tuple[int, int]] = []  # (position in new_chunks, old chunk id)
    for i, (_cid, chunk) in enumerate(new_chunks):
        old_id = reuse.get(chunk.content_hash)
        if old_id is None:
            to_embed.append(i)
        else:
            reused.append((i, old_id))
    if reused:
        old_ids = np.array([old_id for _, old_id in reused], dtype=np.int64)
        vectors[[i for i, _ in reused]] = previous.dense.vectors(old_ids)
        old_sentences = previous.sentences.subset(old_ids)
        for i, old_id in reused:
            if (found := old_sentences.of(old_id)) is not None:
                sentence_vectors[new_chunks[i][0]] = found
    report.chunks_reused = len(new_chunks) - len(to_embed)
    report.chunks_embedded = len(to_embed)

    texts = [new_chunks[i][1].embedding_text for i in to_embed]
    sentence_texts: list[str] = []
    owners: list[tuple[int, int]] = []  # (chunk id, sentence count)
    if options.sentence_vectors:
        for i in to_embed:
            cid, chunk = new_chunks[i]
            if len(chunk.sentences) > 1:
                doc_start = chunk.start
                sentence_texts.extend(chunk.text[s - doc_start : e - doc_start] for s, e in chunk.sentences)
                owners.append((cid, len(chunk.sentences)))

    total = len(texts) + len(sentence_texts)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress("embed", done, total)

    progress("embed", 0, total)
    if texts:
        vectors[to_embed] = embedder.embed_passages(texts, progress=advance)
    if sentence_texts:
        flat = embedder.embed_passages(sentence_texts, progress=advance)
        row = 0
        for cid, count in owners:
            sentence_vectors[cid] = flat[row : row + count]
            row += count
    return vectors, sentence_vectors
