"""The catalog of one version in Milvus: documents (fields and full text) and chunks.

Chunk fields live in the chunks collection next to the vectors; each document's fields (JSON)
and text are rows of the documents collection, split in parts (:func:`index.milvus.schema.part_rows`).
Every replica reads them from the one Milvus, so none needs a disk of its own for the index.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from core.document import Chunk, Document, Origin
from index.milvus.client import errors, int_list, query_all, query_by_ids
from index.milvus.expressions import string_literal
from index.milvus.schema import VersionNames, joined
from index.records import ChunkFacts, DocumentInfo, StoredChunk

INFO = "info"
TEXT = "text"
CHUNK_FIELDS = [
    "doc_id",
    "kind",
    "ordinal",
    "start_offset",
    "end_offset",
    "text",
    "context",
    "lang",
    "years",
    "ordinals",
    "page",
    "sentences",
]
CACHED_DOCUMENTS = 4_096
"""Document fields kept per version for the titles of answers (a version never changes)."""


def info_record(document: Document, *, chunks: int, ingested_at: str) -> dict[str, Any]:
    """What the catalog knows of ``document`` besides its text, as stored (JSON)."""
    origin = document.origin
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "lang": document.lang,
        "kind": document.kind,
        "source_url": document.source_url,
        "metadata": json.loads(json.dumps(document.metadata, ensure_ascii=False, default=str)),
        "pages": list(document.pages),
        "content_hash": document.content_hash,
        "chunks": chunks,
        "ingested_at": ingested_at,
        "characters": len(document.text),
        "origin": origin.path if origin else None,
        "origin_folder": origin.folder if origin else None,
    }


def _info(record: dict[str, Any]) -> DocumentInfo:
    origin = record["origin"]
    return DocumentInfo(
        doc_id=record["doc_id"],
        title=record["title"],
        lang=record["lang"],
        kind=record["kind"],
        source_url=record["source_url"],
        metadata=record["metadata"],
        content_hash=record["content_hash"],
        chunks=record["chunks"],
        ingested_at=record["ingested_at"],
        characters=record["characters"],
        pages=len(record["pages"]),
        origin=None if origin is None else Origin(path=origin, folder=record["origin_folder"]),
    )


def _document(record: dict[str, Any], text: str) -> Document:
    info = _info(record)
    return Document(
        doc_id=info.doc_id,
        title=info.title,
        text=text,
        lang=info.lang,
        kind=info.kind,
        source_url=info.source_url,
        metadata=info.metadata,
        pages=tuple(record["pages"]),
        origin=info.origin,
    )


def _chunk(row: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_id=row["doc_id"],
        ordinal=int(row["ordinal"]),
        start=int(row["start_offset"]),
        end=int(row["end_offset"]),
        text=row["text"],
        context=row["context"],
        lang=row["lang"],
        years=tuple(int(y) for y in row["years"]),
        ordinals=tuple(int(n) for n in row["ordinals"]),
        page=int(row["page"]) or None,
        sentences=tuple((int(s), int(e)) for s, e in json.loads(row["sentences"])),
    )


class MilvusCatalog:
    """Documents and chunks of one version (a :class:`~index.backends.base.Catalog`)."""

    def __init__(self, client: Any, *, uri: str, names: VersionNames) -> None:
        self._client = client
        self._uri = uri
        self._names = names
        self._records: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    # -- documents ------------------------------------------------------------------------

    def _parts(self, expression: str, what: str) -> dict[tuple[str, str], str]:
        with errors(self._uri, f"reading {what}"):
            rows = list(
                query_all(
                    self._client,
                    self._names.documents,
                    filter=expression,
                    output_fields=["owner", "stream", "part", "payload"],
                )
            )
        return joined(rows)

    def _all_records(self) -> dict[str, dict[str, Any]]:
        parts = self._parts(f'stream == "{INFO}" and owner != ""', "the document list")
        return {owner: json.loads(text) for (owner, _), text in parts.items()}

    def _records_of(self, doc_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(doc_ids))
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for doc_id in wanted:
                if (record := self._records.get(doc_id)) is not None:
                    found[doc_id] = record
        missing = [d for d in wanted if d not in found]
        if missing:
            owners = ",".join(string_literal(d) for d in missing)
            parts = self._parts(f'stream == "{INFO}" and owner in [{owners}]', "document fields")
            with self._lock:
                for (owner, _), text in parts.items():
                    found[owner] = self._records[owner] = json.loads(text)
                while len(self._records) > CACHED_DOCUMENTS:
                    self._records.popitem(last=False)
        return found

    def document_hashes(self) -> dict[str, str]:
        return {doc_id: r["content_hash"] for doc_id, r in self._all_records().items()}

    def document_origins(self) -> dict[str, Origin | None]:
        return {doc_id: _info(r).origin for doc_id, r in self._all_records().items()}

    def documents(self) -> list[DocumentInfo]:
        return [_info(r) for _, r in sorted(self._all_records().items())]

    def document(self, doc_id: str) -> tuple[DocumentInfo, str] | None:
        parts = self._parts(f"owner == {string_literal(doc_id)}", f"document {doc_id}")
        if (doc_id, INFO) not in parts:
            return None
        return _info(json.loads(parts[(doc_id, INFO)])), parts.get((doc_id, TEXT), "")

    def load_documents(self) -> list[Document]:
        parts = self._parts('owner != ""', "every document")
        owners = sorted({owner for owner, stream in parts if stream == INFO})
        return [_document(json.loads(parts[(o, INFO)]), parts.get((o, TEXT), "")) for o in owners]

    # -- chunks ---------------------------------------------------------------------------

    def _chunk_rows(self, ids: Iterable[int], fields: list[str], what: str) -> list[dict[str, Any]]:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        with errors(self._uri, f"reading {what}"):
            return query_by_ids(self._client, self._names.chunks, wanted, field="id", output_fields=fields)

    def _rows_of_document(self, doc_id: str, fields: list[str]) -> list[dict[str, Any]]:
        with errors(self._uri, f"reading the chunks of {doc_id}"):
            return list(
                query_all(
                    self._client,
                    self._names.chunks,
                    filter=f"doc_id == {string_literal(doc_id)}",
                    output_fields=fields,
                )
            )

    def chunk_hashes(self, doc_id: str) -> dict[str, int]:
        return {r["content_hash"]: int(r["id"]) for r in self._rows_of_document(doc_id, ["content_hash"])}

    def chunk_ids(self, doc_id: str) -> list[int]:
        return sorted(int(r["id"]) for r in self._rows_of_document(doc_id, ["id"]))

    def chunks(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        rows = self._chunk_rows(ids, CHUNK_FIELDS, "chunks")
        records = self._records_of(r["doc_id"] for r in rows)
        out: dict[int, StoredChunk] = {}
        for row in rows:
            record = records[row["doc_id"]]
            out[int(row["id"])] = StoredChunk(
                id=int(row["id"]),
                chunk=_chunk(row),
                title=record["title"],
                kind=record["kind"],
                source_url=record["source_url"],
            )
        return out

    def facts_of(self, ids: Iterable[int]) -> dict[int, ChunkFacts]:
        rows = self._chunk_rows(ids, ["years", "doc_year", "ordinals"], "chunk years and ordinals")
        return {
            int(r["id"]): ChunkFacts(
                years=tuple(int(y) for y in r["years"]),
                document_year=int(r["doc_year"]) or None,
                ordinals=tuple(int(n) for n in r["ordinals"]),
            )
            for r in rows
        }

    def _any(self, expression: str, what: str) -> bool:
        with errors(self._uri, what):
            rows = self._client.query(self._names.chunks, filter=expression, output_fields=["id"], limit=1)
        return bool(rows)

    def mentions_year(self, years: Iterable[int]) -> bool:
        wanted = sorted({int(y) for y in years})
        if not wanted:
            return False
        listed = int_list(wanted)
        return self._any(f"array_contains_any(years, {listed}) or doc_year in {listed}", "looking up years")

    knows_ordinals = True
    """Every Milvus version records its chunks' ordinals."""

    def mentions_ordinal(self, ordinals: Iterable[int]) -> bool:
        wanted = sorted({int(n) for n in ordinals})
        if not wanted:
            return False
        return self._any(f"array_contains_any(ordinals, {int_list(wanted)})", "looking up ordinals")

    def close(self) -> None:
        """Nothing to close: the connection is the process's (:func:`index.milvus.client.client_for`)."""
