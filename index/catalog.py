"""The catalog: documents and chunks of one index version, in SQLite.

Each published version has its own ``catalog.sqlite``, opened read-only and immutable by readers,
so a query never sees a half-applied ingest. Writers copy the previous version's file and apply
their changes in one transaction.

Columns added after the first release are filled in by the next write (which copies the
catalog): ``origin`` and ``origin_folder`` (where a document came from; unknown before, so a
folder sync never removes those documents), ``documents.year`` (the document's own year, from its
metadata: :func:`text.years.document_year`) and ``chunks.ordinals`` with the ``chunk_ordinals``
table (the ordinals that number an event in a chunk: :mod:`text.ordinals`). A catalog without them
still loads: its documents' years are read from their metadata once, when it is opened, and its
chunks' ordinals are unknown (no ordinal evidence) until the next write.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.document import Chunk, Document, Origin, embedding_text
from index.records import ChunkFacts, DocumentInfo, StoredChunk
from text.ordinals import chunk_ordinals
from text.years import document_year

TABLES = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_url TEXT,
    metadata TEXT NOT NULL,
    pages TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL,
    origin TEXT,
    origin_folder TEXT,
    year INTEGER
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL,
    lang TEXT NOT NULL,
    years TEXT NOT NULL,
    page INTEGER,
    sentences TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    ordinals TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS chunk_years (
    chunk_id INTEGER NOT NULL,
    year INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunk_ordinals (
    chunk_id INTEGER NOT NULL,
    ordinal INTEGER NOT NULL
);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_lang ON chunks(lang);
CREATE INDEX IF NOT EXISTS chunk_years_year ON chunk_years(year);
CREATE INDEX IF NOT EXISTS chunk_years_chunk ON chunk_years(chunk_id);
CREATE INDEX IF NOT EXISTS chunk_ordinals_ordinal ON chunk_ordinals(ordinal);
CREATE INDEX IF NOT EXISTS chunk_ordinals_chunk ON chunk_ordinals(chunk_id);
CREATE INDEX IF NOT EXISTS documents_year ON documents(year);
CREATE INDEX IF NOT EXISTS documents_kind ON documents(kind);
"""

_ORIGIN_COLUMNS = ("origin", "origin_folder")
"""Columns added after the first release (see the module docstring)."""

_DOCUMENT_COLUMNS = (
    "doc_id, title, text, lang, kind, source_url, metadata, pages, content_hash, chunk_count, "
    "ingested_at, origin, origin_folder, year"
)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _origin(path: str | None, folder: str | None) -> Origin | None:
    return None if path is None else Origin(path=path, folder=folder)


def _chunk_from_row(row: sqlite3.Row) -> Chunk:
    return Chunk(
        doc_id=row["doc_id"],
        ordinal=row["ordinal"],
        start=row["start"],
        end=row["end"],
        text=row["text"],
        context=row["context"],
        lang=row["lang"],
        years=tuple(json.loads(row["years"])),
        ordinals=tuple(json.loads(row["ordinals"])),
        page=row["page"],
        sentences=tuple(tuple(s) for s in json.loads(row["sentences"])),  # type: ignore[misc]
    )


_CHUNK_SELECT = (
    'c.id, c.doc_id, c.ordinal, c.start, c."end", c.text, c.context, c.lang, c.years, c.page, c.sentences, '
    "c.content_hash"
)
"""The chunk columns of the first release (``ordinals`` came later: see the module docstring)."""
_CHUNK_COLUMNS = (
    'id, doc_id, ordinal, start, "end", text, context, lang, years, page, sentences, content_hash, ordinals'
)


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a catalog written by an earlier release up to the current schema, filling in what the
    new columns hold (see the module docstring)."""
    documents = _columns(db, "documents")
    for column in _ORIGIN_COLUMNS:
        if column not in documents:
            db.execute(f"ALTER TABLE documents ADD COLUMN {column} TEXT")
    if "year" not in documents:
        db.execute("ALTER TABLE documents ADD COLUMN year INTEGER")
        years = [
            (document_year(json.loads(r["metadata"])), r["doc_id"])
            for r in db.execute("SELECT doc_id, metadata FROM documents")
        ]
        db.executemany("UPDATE documents SET year = ? WHERE doc_id = ?", years)
    if "ordinals" not in _columns(db, "chunks"):
        db.execute("ALTER TABLE chunks ADD COLUMN ordinals TEXT NOT NULL DEFAULT '[]'")
        found = [
            (r["id"], ordinals)
            for r in db.execute("SELECT id, context, text FROM chunks")
            if (ordinals := chunk_ordinals(r["context"], r["text"]))
        ]
        db.executemany("UPDATE chunks SET ordinals = ? WHERE id = ?", [(json.dumps(o), i) for i, o in found])
        db.executemany("INSERT INTO chunk_ordinals VALUES (?, ?)", [(i, n) for i, o in found for n in o])


class CatalogWriter:
    """Applies one ingest's changes to a fresh copy of the catalog, in a single transaction."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(TABLES)
        self._db.execute("BEGIN")
        _add_missing_columns(self._db)
        for statement in INDEXES.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def remove_document(self, doc_id: str) -> list[int]:
        """Delete a document and its chunks; returns the ids of the deleted chunks."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
        self._db.execute(
            "DELETE FROM chunk_years WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)",
            (doc_id,),
        )
        self._db.execute(
            "DELETE FROM chunk_ordinals WHERE chunk_id IN (SELECT id FROM chunks WHERE doc_id = ?)",
            (doc_id,),
        )
        self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        return ids

    def add_document(
        self,
        document: Document,
        chunks: Sequence[tuple[int, Chunk]],
        *,
        ingested_at: str,
        chunk_count: int | None = None,
    ) -> None:
        """Insert a document and its chunks, given as (chunk id, chunk) pairs. ``chunk_count``
        (default: the chunks given) is for chunks added later with :meth:`add_chunks`."""
        origin = document.origin
        self._db.execute(
            f"INSERT INTO documents ({_DOCUMENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                document.doc_id,
                document.title,
                document.text,
                document.lang,
                document.kind,
                document.source_url,
                json.dumps(document.metadata, ensure_ascii=False, default=str),
                json.dumps(list(document.pages)),
                document.content_hash,
                len(chunks) if chunk_count is None else chunk_count,
                ingested_at,
                origin.path if origin else None,
                origin.folder if origin else None,
                document_year(document.metadata),
            ),
        )
        self.add_chunks(chunks)

    def add_chunks(self, chunks: Sequence[tuple[int, Chunk]]) -> None:
        """Insert (chunk id, chunk) pairs of documents already added."""
        self._db.executemany(
            f"INSERT INTO chunks ({_CHUNK_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    cid,
                    c.doc_id,
                    c.ordinal,
                    c.start,
                    c.end,
                    c.text,
                    c.context,
                    c.lang,
                    json.dumps(list(c.years)),
                    c.page,
                    json.dumps([list(s) for s in c.sentences]),
                    c.content_hash,
                    json.dumps(list(c.ordinals)),
                )
                for cid, c in chunks
            ],
        )
        self._db.executemany(
            "INSERT INTO chunk_years VALUES (?, ?)",
            [(cid, y) for cid, c in chunks for y in c.years],
        )
        self._db.executemany(
            "INSERT INTO chunk_ordinals VALUES (?, ?)",
            [(cid, n) for cid, c in chunks for n in c.ordinals],
        )

    def commit(self) -> None:
        self._db.execute("COMMIT")
        self._db.execute("PRAGMA optimize")
        self._db.close()

    def abort(self) -> None:
        self._db.execute("ROLLBACK")
        self._db.close()


class CatalogReader:
    """Read-only access to a published catalog; safe to share between threads.

    All connections are opened up front: a reader keeps working even after a newer ingest has
    deleted this version's files (open files stay readable on POSIX systems).
    """

    POOL_SIZE = 4

    def __init__(self, path: Path, *, pool_size: int = POOL_SIZE) -> None:
        uri = f"file:{path}?mode=ro&immutable=1"
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all: list[sqlite3.Connection] = []
        for _ in range(pool_size):
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("SELECT count(*) FROM documents").fetchone()  # fail now if unreadable
            self._all.append(db)
            self._pool.put(db)
        documents = _columns(self._all[0], "documents")
        has_origins = set(_ORIGIN_COLUMNS) <= documents
        self._origin_columns = (
            "origin, origin_folder" if has_origins else "NULL AS origin, NULL AS origin_folder"
        )
        # Columns added after the first release (see the module docstring).
        self._legacy_years: dict[str, int | None] | None = None
        self._year_column = "d.year AS year"
        if "year" not in documents:
            self._year_column = "NULL AS year"
            self._legacy_years = {
                r["doc_id"]: document_year(json.loads(r["metadata"]))
                for r in self._rows("SELECT doc_id, metadata FROM documents")
            }
        self.knows_ordinals = "ordinals" in _columns(self._all[0], "chunks")
        """False for a catalog written before ordinals were recorded: no ordinal evidence."""
        self._ordinals_column = "c.ordinals AS ordinals" if self.knows_ordinals else "'[]' AS ordinals"

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self._pool.get()
        try:
            yield db
        finally:
            self._pool.put(db)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._db() as db:
            return db.execute(sql, args).fetchall()

    def document_hashes(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._rows("SELECT doc_id, content_hash FROM documents")}

    def document_origins(self) -> dict[str, Origin | None]:
        """Where each document came from (None: not recorded)."""
        rows = self._rows(f"SELECT doc_id, {self._origin_columns} FROM documents")
        return {r["doc_id"]: _origin(r["origin"], r["origin_folder"]) for r in rows}

    def chunk_hashes(self, doc_id: str) -> dict[str, int]:
        """content hash → chunk id of a document's chunks, to reuse their vectors."""
        rows = self._rows("SELECT content_hash, id FROM chunks WHERE doc_id = ?", (doc_id,))
        return {r[0]: r[1] for r in rows}

    def chunk_ids(self, doc_id: str) -> list[int]:
        """Ids of the chunks of ``doc_id``, in id order."""
        return [r[0] for r in self._rows("SELECT id FROM chunks WHERE doc_id = ? ORDER BY id", (doc_id,))]

    def chunks(self, ids: Iterable[int]) -> dict[int, StoredChunk]:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        out: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self._rows(
                f"SELECT {_CHUNK_SELECT}, {self._ordinals_column}, d.title AS title, d.kind AS kind, "
                "d.source_url AS source_url "
                f"FROM chunks c JOIN documents d USING (doc_id) WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            for row in rows:
                out[row["id"]] = StoredChunk(
                    id=row["id"],
                    chunk=_chunk_from_row(row),
                    title=row["title"],
                    kind=row["kind"],
                    source_url=row["source_url"],
                )
        return out

    def all_chunks(self) -> list[tuple[int, str, str]]:
        """(id, embedding text, language) of every chunk, in id order."""
        rows = self._rows("SELECT id, context, text, lang FROM chunks ORDER BY id")
        return [(r["id"], embedding_text(r["context"], r["text"]), r["lang"]) for r in rows]

    def facts_of(self, ids: Iterable[int]) -> dict[int, ChunkFacts]:
        """The years each of ``ids`` mentions, its document's year and its ordinals."""
        ids = [int(i) for i in ids]
        out: dict[int, ChunkFacts] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self._rows(
                f"SELECT c.id, c.doc_id, c.years, {self._ordinals_column}, {self._year_column} "
                f"FROM chunks c JOIN documents d USING (doc_id) WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            for row in rows:
                year = row["year"] if self._legacy_years is None else self._legacy_years.get(row["doc_id"])
                out[row["id"]] = ChunkFacts(
                    years=tuple(json.loads(row["years"])),
                    document_year=year,
                    ordinals=tuple(json.loads(row["ordinals"])),
                )
        return out

    def mentions_year(self, years: Iterable[int]) -> bool:
        """Whether any chunk mentions one of ``years`` or any document is about one (indexed lookups)."""
        years = [int(y) for y in years]
        if not years:
            return False
        marks = ",".join("?" * len(years))
        if self._rows(f"SELECT 1 FROM chunk_years WHERE year IN ({marks}) LIMIT 1", years):
            return True
        if self._legacy_years is not None:
            return any(y in years for y in self._legacy_years.values())
        return bool(self._rows(f"SELECT 1 FROM documents WHERE year IN ({marks}) LIMIT 1", years))

    def mentions_ordinal(self, ordinals: Iterable[int]) -> bool:
        """Whether any chunk mentions one of ``ordinals`` (see :attr:`knows_ordinals`)."""
        ordinals = [int(n) for n in ordinals]
        if not ordinals:
            return False
        marks = ",".join("?" * len(ordinals))
        return bool(self._rows(f"SELECT 1 FROM chunk_ordinals WHERE ordinal IN ({marks}) LIMIT 1", ordinals))

    def kind_chunk_ids(self, kind: str) -> list[int]:
        """Ids of the chunks of the documents of ``kind``, in id order."""
        rows = self._rows(
            "SELECT c.id FROM chunks c JOIN documents d USING (doc_id) WHERE d.kind = ? ORDER BY c.id",
            (kind,),
        )
        return [r[0] for r in rows]

    def year_chunk_ids(self, year: int) -> list[int]:
        """Ids of the chunks that mention ``year``, in id order."""
        rows = self._rows(
            "SELECT DISTINCT chunk_id FROM chunk_years WHERE year = ? ORDER BY chunk_id", (year,)
        )
        return [r[0] for r in rows]

    def _info(self, row: sqlite3.Row) -> DocumentInfo:
        return DocumentInfo(
            doc_id=row["doc_id"],
            title=row["title"],
            lang=row["lang"],
            kind=row["kind"],
            source_url=row["source_url"],
            metadata=json.loads(row["metadata"]),
            content_hash=row["content_hash"],
            chunks=row["chunk_count"],
            ingested_at=row["ingested_at"],
            characters=row["characters"],
            pages=len(json.loads(row["pages"])),
            origin=_origin(row["origin"], row["origin_folder"]),
        )

    @property
    def _info_columns(self) -> str:
        return (
            "doc_id, title, lang, kind, source_url, metadata, content_hash, chunk_count, "
            f"ingested_at, length(text) AS characters, pages, {self._origin_columns}"
        )

    def documents(self) -> list[DocumentInfo]:
        rows = self._rows(f"SELECT {self._info_columns} FROM documents ORDER BY doc_id")
        return [self._info(r) for r in rows]

    def document(self, doc_id: str) -> tuple[DocumentInfo, str] | None:
        rows = self._rows(f"SELECT {self._info_columns}, text FROM documents WHERE doc_id = ?", (doc_id,))
        return (self._info(rows[0]), rows[0]["text"]) if rows else None

    def load_documents(self) -> list[Document]:
        """Every stored document, whole (for re-indexing with another model)."""
        rows = self._rows(
            "SELECT doc_id, title, text, lang, kind, source_url, metadata, pages, "
            f"{self._origin_columns} FROM documents ORDER BY doc_id"
        )
        return [
            Document(
                doc_id=r["doc_id"],
                title=r["title"],
                text=r["text"],
                lang=r["lang"],
                kind=r["kind"],
                source_url=r["source_url"],
                metadata=json.loads(r["metadata"]),
                pages=tuple(json.loads(r["pages"])),
                origin=_origin(r["origin"], r["origin_folder"]),
            )
            for r in rows
        ]

    def close(self) -> None:
        for db in self._all:
            db.close()
        self._all = []
