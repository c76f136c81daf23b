"""What the catalog of an index version returns, whatever stores it: chunks with their document's
fields, documents without their text, filters and what a question can name about a chunk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.document import Chunk, Origin


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored: its id in the index plus the fields a result needs."""

    id: int
    chunk: Chunk
    title: str
    kind: str
    source_url: str | None


@dataclass(frozen=True)
class DocumentInfo:
    """What is known of a stored document, without its text."""

    doc_id: str
    title: str
    lang: str
    kind: str
    source_url: str | None
    metadata: dict[str, Any]
    content_hash: str
    chunks: int
    ingested_at: str
    characters: int
    pages: int
    origin: Origin | None = None


@dataclass(frozen=True)
class Filters:
    """Optional restrictions on what a search may return; ``None`` means any."""

    year: int | None = None
    lang: str | None = None
    doc_id: str | None = None
    kind: str | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.year, self.lang, self.doc_id, self.kind))


@dataclass(frozen=True)
class ChunkFacts:
    """What a question can name about a chunk: the years it mentions, its document's own year
    (``event_year`` or ``date`` in the metadata) and the ordinals that number an event in it."""

    years: tuple[int, ...]
    document_year: int | None
    ordinals: tuple[int, ...] = ()
