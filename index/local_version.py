"""One index version as files in a directory: reading it into a snapshot, writing the next one.

    manifest.json  catalog.sqlite  dense.faiss  lexical/  sentences.npy  sentence_index.npy
    language_means.npz

The next version is written from the previous one's files when it is local (the catalog copied
and changed in one transaction, the HNSW graph extended when it only grows), and otherwise from
what the previous version's backends return (a migration from Milvus).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from core.document import Chunk
from core.errors import IndexCorrupt
from index.backends.bm25s_lexical import Bm25sLexical, LexicalIndex
from index.backends.faiss_dense import DenseIndex, FaissDense
from index.backends.local_scope import LocalScopes
from index.catalog import CatalogReader, CatalogWriter
from index.centring import LanguageMeans
from index.sentences import SentenceVectors
from index.snapshot import LocalFiles, Manifest, Snapshot, means_of
from index.version_store import Progress, VersionChanges, kept_batches, kept_documents
from text.analyzer import analyze

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
DENSE = "dense.faiss"
LEXICAL = "lexical"

# Loads are rare; one at a time per process. numpy parses .npy headers with ast.literal_eval,
# and CPython 3.11 can fail with "AST constructor recursion depth mismatch" when that runs in
# several threads at once.
_LOAD_LOCK = threading.Lock()


def load_version(path: Path, *, version: str, model_id: str, dim: int) -> Snapshot:
    """The version in directory ``path``, memory-mapped."""
    with _LOAD_LOCK:
        return _load(path, version=version, model_id=model_id, dim=dim)


def _load(path: Path, *, version: str, model_id: str, dim: int) -> Snapshot:
    manifest = Manifest.read(path / MANIFEST)
    manifest.check_compatible(model_id=model_id, dim=dim)
    try:
        catalog = CatalogReader(path / CATALOG)
        dense = DenseIndex.load(path / DENSE)
        lexical = LexicalIndex.load(path / LEXICAL)
        sentences = SentenceVectors.load(path)
        scopes = LocalScopes(catalog, lexical)
        dense_backend, lexical_backend = FaissDense(dense, scopes), Bm25sLexical(lexical, scopes)
        snapshot = Snapshot(
            version=version,
            manifest=manifest,
            catalog=catalog,
            dense=dense_backend,
            lexical=lexical_backend,
            sentences=sentences,
            means=_stored_means(path, dense=dense_backend, lexical=lexical_backend),
            files=LocalFiles(path=path, dense=dense, sentences=sentences),
        )
    except (OSError, RuntimeError, ValueError) as e:
        logger.error("cannot load index version %s: %s", path, e)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise IndexCorrupt(f"cannot load index version {path.name}: {reason}") from e
    if len(dense) != manifest.chunks or len(lexical) != manifest.chunks:
        raise IndexCorrupt(
            f"index version {path.name} is inconsistent: manifest says {manifest.chunks} chunks, "
            f"dense has {len(dense)}, lexical has {len(lexical)}"
        )
    logger.info(
        "loaded index %s: %d documents, %d chunks (%s)",
        version,
        len(manifest.documents),
        manifest.chunks,
        manifest.dense_kind,
    )
    return snapshot


def _stored_means(path: Path, *, dense: FaissDense, lexical: Bm25sLexical) -> LanguageMeans:
    """The version's per-language statistics. A version written before they were stored gets them
    computed once from its vectors and saved beside them (atomically: the version's content does
    not change), so the next load reads them; where the version cannot be written (a read-only
    copy) they are computed on each load."""
    means = LanguageMeans.load(path, dim=dense.dim)
    if means is not None:
        return means
    logger.info(
        "computing the language means of %d chunks of %s (the version predates them)", len(dense), path.name
    )
    means = means_of(dense, lexical)
    try:
        means.save(path)
    except OSError as e:
        logger.warning(
            "cannot save the language means into %s (%s): they are computed again on each load", path, e
        )
    return means


def write_version(
    directory: Path, previous: Snapshot, changes: VersionChanges, *, progress: Progress
) -> Manifest:
    """Write the version that applies ``changes`` to ``previous`` into ``directory`` (empty)."""
    added_ids = np.array([cid for cid, _ in changes.chunks], dtype=np.int64)
    removed = np.fromiter(changes.removed_ids, dtype=np.int64, count=len(changes.removed_ids))
    if previous.files is not None or previous.catalog is None:
        _write_catalog(directory, previous, changes)
        progress("index", 0, 1)
        base = previous.files
        dense = (
            base.dense
            if base
            else DenseIndex.build(added_ids[:0], changes.vectors[:0], dim=changes.dim, hnsw_threshold=1)
        )
        dense = dense.with_changes(
            removed=removed,
            added_ids=added_ids,
            added_vectors=changes.vectors,
            hnsw_threshold=changes.hnsw_threshold,
        )
        sentences = (base.sentences if base else SentenceVectors.empty(changes.dim)).with_changes(
            removed=set(changes.removed_ids), added=changes.sentence_vectors, dim=changes.dim
        )
    else:
        progress("index", 0, 1)
        dense, sentences = _write_copied(directory, previous, changes, added_ids)
    dense.save(directory / DENSE)
    sentences.save(directory)
    changes.means.save(directory)
    catalog = CatalogReader(directory / CATALOG)
    try:
        rows = catalog.all_chunks()
        progress("lexical", 0, len(rows))
        LexicalIndex.build(
            np.array([r[0] for r in rows], dtype=np.int64),
            [analyze(r[1]) for r in rows],
            [r[2] for r in rows],
        ).save(directory / LEXICAL)
        documents = [
            {"doc_id": d.doc_id, "content_hash": d.content_hash, "chunks": d.chunks}
            for d in catalog.documents()
        ]
    finally:
        catalog.close()
    manifest = Manifest(
        model_id=changes.model_id,
        dim=changes.dim,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        chunking=dict(changes.chunking),
        dense_kind=dense.kind,
        chunks=len(dense),
        sentence_vectors=len(sentences),
        languages=dict(zip(changes.means.langs, changes.means.counts.tolist(), strict=True)),
        next_chunk_id=changes.next_chunk_id,
        documents=documents,
    )
    (directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    progress("index", 1, 1)
    return manifest


def _write_catalog(directory: Path, previous: Snapshot, changes: VersionChanges) -> None:
    """The previous catalog file copied, then the changes applied in one transaction."""
    if previous.files is not None:
        shutil.copyfile(previous.files.path / CATALOG, directory / CATALOG)
    writer = CatalogWriter(directory / CATALOG)
    try:
        for doc_id in changes.removed_docs:
            writer.remove_document(doc_id)
        _add_changed(writer, changes)
    except BaseException:
        writer.abort()
        raise
    writer.commit()


def _add_changed(writer: CatalogWriter, changes: VersionChanges) -> None:
    by_doc: dict[str, list[tuple[int, Chunk]]] = defaultdict(list)
    for cid, chunk in changes.chunks:
        by_doc[chunk.doc_id].append((cid, chunk))
    for doc in changes.documents:
        writer.add_document(doc, by_doc.get(doc.doc_id, []), ingested_at=changes.ingested_at)


def _write_copied(
    directory: Path, previous: Snapshot, changes: VersionChanges, added_ids: np.ndarray
) -> tuple[DenseIndex, SentenceVectors]:
    """Write the catalog from what ``previous``'s backends return (another store's version);
    returns the dense index and sentence vectors of the new version."""
    writer = CatalogWriter(directory / CATALOG)
    ids: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    sentence_vectors: dict[int, np.ndarray] = {}
    try:
        for doc, info in kept_documents(previous, set(changes.removed_docs)):
            writer.add_document(doc, [], ingested_at=info.ingested_at, chunk_count=info.chunks)
        for batch in kept_batches(previous, changes.removed_ids):
            writer.add_chunks([(cid, batch.chunks[cid].chunk) for cid in batch.ids.tolist()])
            ids.append(batch.ids)
            vectors.append(batch.vectors)
            for cid in batch.ids.tolist():
                found = batch.sentences.of(cid)
                if found is not None:
                    sentence_vectors[cid] = found
        _add_changed(writer, changes)
    except BaseException:
        writer.abort()
        raise
    writer.commit()
    sentence_vectors.update(changes.sentence_vectors)
    dense = DenseIndex.build(
        np.concatenate([*ids, added_ids]),
        np.concatenate([*vectors, changes.vectors]).reshape(-1, changes.dim),
        dim=changes.dim,
        hnsw_threshold=changes.hnsw_threshold,
    )
    sentences = SentenceVectors.empty(changes.dim).with_changes(
        removed=set(), added=sentence_vectors, dim=changes.dim
    )
    return dense, sentences
