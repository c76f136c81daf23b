"""Writing one index version into new Milvus collections.

The version is written whole, like a local one: the previous version's kept documents and chunks
(read back through its backends, whichever store they come from: this is also how ``marja
migrate`` copies a local index) and the changed documents with their new chunks, vectors and
sentence vectors. Nothing is embedded here. The collections are flushed before the store
publishes them by switching its alias (:mod:`index.milvus.store`).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from core.document import Chunk, Document
from core.errors import IndexWriteFailed
from index.backends.base import SentenceVectorsView
from index.backends.milvus_lexical import EMPTY_TERMS
from index.milvus.catalog import INFO, TEXT, info_record
from index.milvus.client import errors
from index.milvus.schema import (
    VARCHAR_MAX,
    VersionNames,
    create_chunks,
    create_parts,
    create_sentences,
    create_terms,
    part_rows,
)
from index.snapshot import Manifest, Snapshot
from index.version_store import Progress, VersionChanges, kept_batches, kept_documents
from text.analyzer import analyze
from text.years import document_year

logger = logging.getLogger(__name__)

CHUNK_BATCH = 500
SENTENCE_BATCH = 2_000
PART_BATCH = 64
TERM_BATCH = 5_000
MANIFEST_STREAM = "manifest"
MEANS_STREAM = "means"


@dataclass(frozen=True)
class DocumentTime:
    """What a chunk row carries of its document: its kind and the year it is about (0: none)."""

    kind: str
    year: int

    @classmethod
    def of(cls, document: Document) -> DocumentTime:
        return cls(kind=document.kind, year=document_year(document.metadata) or 0)


def _fits(value: str, what: str, chunk_id: int) -> str:
    if len(value.encode("utf-8")) > VARCHAR_MAX:
        raise IndexWriteFailed(f"chunk {chunk_id}: its {what} is over Milvus's {VARCHAR_MAX:,} bytes")
    return value


def chunk_row(chunk_id: int, chunk: Chunk, vector: np.ndarray, document: DocumentTime) -> dict[str, Any]:
    """The chunks-collection row of one chunk."""
    terms = " ".join(analyze(chunk.embedding_text)) or EMPTY_TERMS
    return {
        "id": chunk_id,
        "vector": np.asarray(vector, dtype=np.float32).tolist(),
        "terms": _fits(terms, "terms", chunk_id),
        "lang": chunk.lang,
        "doc_id": chunk.doc_id,
        "kind": document.kind,
        "years": list(chunk.years),
        "doc_year": document.year,
        "ordinals": list(chunk.ordinals),
        "ordinal": chunk.ordinal,
        "start_offset": chunk.start,
        "end_offset": chunk.end,
        "page": chunk.page or 0,
        "text": _fits(chunk.text, "text", chunk_id),
        "context": _fits(chunk.context, "context", chunk_id),
        "sentences": _fits(json.dumps([list(s) for s in chunk.sentences]), "sentence offsets", chunk_id),
        "content_hash": chunk.content_hash,
    }


class VersionWriter:
    """Writes the collections of one version; :meth:`write` returns its manifest."""

    def __init__(self, client: Any, *, uri: str, names: VersionNames, progress: Progress) -> None:
        self._client = client
        self._uri = uri
        self._names = names
        self._progress = progress
        self._chunks: list[dict[str, Any]] = []
        self._sentences: list[dict[str, Any]] = []
        self._next_sentence = 0
        self._df: Counter[str] = Counter()
        self._written = 0
        self._sentence_count = 0

    def _insert(self, collection: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            with errors(self._uri, f"writing {collection}"):
                self._client.insert(collection, rows)

    def _add_chunk(
        self,
        chunk_id: int,
        chunk: Chunk,
        vector: np.ndarray,
        sentences: np.ndarray | None,
        document: DocumentTime,
    ) -> None:
        row = chunk_row(chunk_id, chunk, vector, document)
        self._df.update(set(row["terms"].split()) - {EMPTY_TERMS})
        self._chunks.append(row)
        if sentences is not None:
            rounded = np.asarray(sentences, dtype=np.float16).astype(np.float32)
            for position, sentence in enumerate(rounded):
                self._sentences.append(
                    {
                        "id": self._next_sentence,
                        "chunk_id": chunk_id,
                        "position": position,
                        "vector": sentence.tolist(),
                    }
                )
                self._next_sentence += 1
            self._sentence_count += len(rounded)
        if len(self._chunks) >= CHUNK_BATCH:
            self._flush_rows()

    def _flush_rows(self) -> None:
        self._insert(self._names.chunks, self._chunks)
        self._written += len(self._chunks)
        self._chunks = []
        for start in range(0, len(self._sentences), SENTENCE_BATCH):
            self._insert(self._names.sentences, self._sentences[start : start + SENTENCE_BATCH])
        self._sentences = []

    def write(self, previous: Snapshot, changes: VersionChanges, *, hnsw: bool) -> Manifest:
        names = self._names
        with errors(self._uri, f"creating the collections of {names.version}"):
            create_chunks(self._client, names.chunks, dim=changes.dim, hnsw=hnsw)
            create_sentences(self._client, names.sentences, dim=changes.dim)
            create_parts(self._client, names.documents)
            create_terms(self._client, names.terms)
        documents = self._write_documents(previous, changes)
        times = {doc_id: time for doc_id, (_, _, time) in documents.items()}
        total = sum(count for _, count, _ in documents.values())
        self._progress("lexical", 0, total)
        for batch in kept_batches(previous, changes.removed_ids):
            for i, chunk_id in enumerate(batch.ids.tolist()):
                stored = batch.chunks[chunk_id]
                self._add_chunk(
                    chunk_id,
                    stored.chunk,
                    batch.vectors[i],
                    _sentences_of(batch.sentences, chunk_id),
                    times[stored.chunk.doc_id],
                )
            self._progress("lexical", self._written + len(self._chunks), total)
        for i, (chunk_id, chunk) in enumerate(changes.chunks):
            self._add_chunk(
                chunk_id,
                chunk,
                changes.vectors[i],
                changes.sentence_vectors.get(chunk_id),
                times[chunk.doc_id],
            )
        self._flush_rows()
        self._progress("lexical", self._written, total)
        for rows in _batches(
            ({"term": term, "df": df, "pad": [1.0, 0.0]} for term, df in self._df.items()), TERM_BATCH
        ):
            self._insert(names.terms, rows)
        manifest = Manifest(
            model_id=changes.model_id,
            dim=changes.dim,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            chunking=dict(changes.chunking),
            dense_kind="hnsw" if hnsw else "flat",
            chunks=self._written,
            sentence_vectors=self._sentence_count,
            languages=dict(zip(changes.means.langs, changes.means.counts.tolist(), strict=True)),
            next_chunk_id=changes.next_chunk_id,
            documents=[
                {"doc_id": doc_id, "content_hash": record["content_hash"], "chunks": record["chunks"]}
                for doc_id, (record, _, _) in sorted(documents.items())
            ],
        )
        means = changes.means
        self._insert(
            names.documents,
            part_rows("", MANIFEST_STREAM, manifest.to_json())
            + part_rows(
                "",
                MEANS_STREAM,
                json.dumps(
                    {"langs": list(means.langs), "counts": means.counts.tolist(), "sums": means.sums.tolist()}
                ),
            ),
        )
        with errors(self._uri, f"flushing {names.version}"):
            for collection in names.all:
                self._client.flush(collection)
        logger.info(
            "wrote %s to Milvus: %d chunks, %d sentences", names.version, self._written, self._sentence_count
        )
        return manifest

    def _write_documents(
        self, previous: Snapshot, changes: VersionChanges
    ) -> dict[str, tuple[dict[str, Any], int, DocumentTime]]:
        """Store every document of the new version; returns each one's record, chunk count and time."""
        written: dict[str, tuple[dict[str, Any], int, DocumentTime]] = {}
        new_counts = Counter(chunk.doc_id for _, chunk in changes.chunks)
        kept = kept_documents(previous, set(changes.removed_docs))
        entries = [(doc, info.chunks, info.ingested_at) for doc, info in kept] + [
            (doc, new_counts[doc.doc_id], changes.ingested_at) for doc in changes.documents
        ]
        rows: list[dict[str, Any]] = []
        for document, chunks, ingested_at in entries:
            record = info_record(document, chunks=chunks, ingested_at=ingested_at)
            written[document.doc_id] = (record, chunks, DocumentTime.of(document))
            rows += part_rows(document.doc_id, INFO, json.dumps(record, ensure_ascii=False))
            rows += part_rows(document.doc_id, TEXT, document.text)
            if len(rows) >= PART_BATCH:
                self._insert(self._names.documents, rows)
                rows = []
        self._insert(self._names.documents, rows)
        return written


def _sentences_of(view: SentenceVectorsView, chunk_id: int) -> np.ndarray | None:
    return view.of(chunk_id)


def _batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
