"""Build the next index version from the current one and a set of changes.

Only what changed is embedded: an unchanged document (same content hash) is skipped, and in a
changed document every chunk whose text is unchanged keeps its vector.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.document import Chunk, Document
from core.errors import DocumentNotFound, InvalidDocument
from index.catalog import CatalogReader, CatalogWriter
from index.centring import LanguageMeans
from index.embedders.base import Embedder
from index.lexical import LexicalIndex
from index.snapshot import CATALOG, DENSE, LEXICAL, MANIFEST, Manifest, Snapshot
from index.store import IndexStore
from ingest.chunking import ChunkingOptions, chunk_document
from text.analyzer import analyze

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while a version is built."""


@dataclass(frozen=True)
class BuildOptions:
    chunking: ChunkingOptions = field(default_factory=ChunkingOptions)
    hnsw_threshold: int = 50_000
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


def no_progress(stage: str, done: int, total: int) -> None:
    """A :data:`Progress` that reports nothing."""


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
    store: IndexStore,
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

    tmp = store.new_version_dir()
    try:
        _write_catalog(tmp, previous, report, chunked, new_chunks)
        progress("index", 0, 1)
        dense = previous.dense.with_changes(
            removed=np.fromiter(removed_ids, dtype=np.int64),
            added_ids=np.array([cid for cid, _ in new_chunks], dtype=np.int64),
            added_vectors=vectors,
            hnsw_threshold=options.hnsw_threshold,
        )
        dense.save(tmp / DENSE)
        sentences = previous.sentences.with_changes(
            removed=removed_ids, added=sentence_vectors, dim=embedder.dim
        )
        sentences.save(tmp)
        means = _means_after(previous, removed_ids, new_chunks, vectors)
        means.save(tmp)
        catalog = CatalogReader(tmp / CATALOG)
        rows = catalog.all_chunks()
        progress("lexical", 0, len(rows))
        LexicalIndex.build(
            np.array([r[0] for r in rows], dtype=np.int64),
            [analyze(r[1]) for r in rows],
            [r[2] for r in rows],
        ).save(tmp / LEXICAL)
        documents = [
            {"doc_id": d.doc_id, "content_hash": d.content_hash, "chunks": d.chunks}
            for d in catalog.documents()
        ]
        catalog.close()
        manifest = Manifest(
            model_id=embedder.model_id,
            dim=embedder.dim,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            chunking={
                "max_chars": options.chunking.max_chars,
                "min_chars": options.chunking.min_chars,
            },
            dense_kind=dense.kind,
            chunks=len(dense),
            sentence_vectors=len(sentences),
            languages=dict(zip(means.langs, means.counts.tolist(), strict=True)),
            next_chunk_id=next_id,
            documents=documents,
        )
        (tmp / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        progress("index", 1, 1)
        report.version = store.publish(tmp)
    except BaseException:
        store.discard(tmp)
        raise
    report.chunks_total = manifest.chunks
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
    for i, (cid, chunk) in enumerate(new_chunks):
        old_id = reuse.get(chunk.content_hash)
        if old_id is None:
            to_embed.append(i)
            continue
        vectors[i] = previous.dense.vectors(np.array([old_id]))[0]
        if (old_sentences := previous.sentences.of(old_id)) is not None:
            sentence_vectors[cid] = old_sentences
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


def _write_catalog(
    tmp: Path,
    previous: Snapshot,
    report: IngestReport,
    chunked: list[tuple[Document, list[Chunk]]],
    new_chunks: list[tuple[int, Chunk]],
) -> None:
    if previous.path is not None:
        shutil.copyfile(previous.path / CATALOG, tmp / CATALOG)
    writer = CatalogWriter(tmp / CATALOG)
    try:
        for doc_id in report.removed + report.replaced:
            writer.remove_document(doc_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        by_doc: dict[str, list[tuple[int, Chunk]]] = {}
        for cid, chunk in new_chunks:
            by_doc.setdefault(chunk.doc_id, []).append((cid, chunk))
        for doc, _ in chunked:
            writer.add_document(doc, by_doc.get(doc.doc_id, []), ingested_at=now)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
