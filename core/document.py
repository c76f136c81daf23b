"""The two records that flow through marja: a document and the chunks cut from it."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import PurePosixPath
from typing import Any

from anyascii import anyascii

from core.errors import InvalidDocumentId

DOC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
MAX_DOC_ID_LENGTH = 128


def validate_doc_id(doc_id: str) -> str:
    """Return ``doc_id`` if it is a valid slug, else raise :class:`InvalidDocumentId`."""
    if not DOC_ID_PATTERN.fullmatch(doc_id) or ".." in doc_id:
        shown = doc_id if len(doc_id) <= 60 else doc_id[:60] + "…"
        raise InvalidDocumentId(
            f"invalid document id {shown!r}: use 1-{MAX_DOC_ID_LENGTH} lower-case letters, "
            "digits, '.', '_' or '-', starting with a letter or digit"
        )
    return doc_id


ID_HASH_CHARS = 8
"""Hex digits of the name's hash that end an id whose name was not plain Latin."""

# anyascii writes Arabic as its consonants (the long vowel alif and ta marbuta vanish:
# "الدوحة" → "ldwhh"); these letters are written the way common romanisations write them.
_ARABIC_VOWELS = str.maketrans({"ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ى": "a", "ة": "a"})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")


def slugify(name: str) -> str:
    """Turn a file stem or title into a document id (``2025 Brief.pdf`` → ``2025-brief``).

    Ids are ASCII (they go into URLs and commands). A name in another script is romanised
    (``2025 اجتماع الدوحة`` → ``2025-ajtmaa-aldwha-…``) and, because romanisation loses letters
    (``س`` and ``ص`` both give ``s``), ends with a short hash of the name: two names never share an
    id unless they are the same name. Accents on Latin letters are dropped without a hash
    (``Café`` → ``cafe``), so plain and accented Latin names keep the ids they always had.
    """
    name = unicodedata.normalize("NFC", name)  # one id for a name however its file system wrote it
    decomposed = unicodedata.normalize("NFKD", name)
    romanised = any(not ch.isascii() and unicodedata.category(ch)[0] in "LN" for ch in decomposed)
    if not romanised:
        slug = _slug(decomposed.encode("ascii", "ignore").decode())
        if not slug:
            slug = "doc-" + hashlib.sha256(name.encode()).hexdigest()[:12]
        return slug[:MAX_DOC_ID_LENGTH]
    digest = hashlib.sha256(name.encode()).hexdigest()[:ID_HASH_CHARS]
    slug = _slug(anyascii(name.translate(_ARABIC_VOWELS)))[: MAX_DOC_ID_LENGTH - ID_HASH_CHARS - 1]
    slug = slug.rstrip("-._")
    return f"{slug}-{digest}" if slug else f"doc-{digest}"


API_ORIGIN = "api"


@dataclass(frozen=True)
class Origin:
    """Where a document came from: a file under a folder, or the HTTP API.

    ``path`` is the file's path relative to ``folder`` (POSIX separators), or ``"api"`` with no
    folder. A folder sync removes the documents whose file under the synced folder is gone;
    documents from the API are never removed by a sync.
    """

    path: str
    folder: str | None = None

    @classmethod
    def api(cls) -> Origin:
        return cls(path=API_ORIGIN)

    @classmethod
    def file(cls, folder: str, path: str) -> Origin:
        return cls(path=path, folder=folder)

    @property
    def is_api(self) -> bool:
        return self.folder is None and self.path == API_ORIGIN

    @property
    def location(self) -> PurePosixPath | None:
        """The file's absolute path, or None for the API."""
        return None if self.folder is None else PurePosixPath(self.folder) / self.path

    def is_under(self, folder: PurePosixPath) -> bool:
        location = self.location
        return location is not None and location.is_relative_to(folder)

    def same_place(self, other: Origin | None) -> bool:
        """Both the API, or both the same file (however it was reached)."""
        if other is None:
            return False
        if self.is_api or other.is_api:
            return self.is_api and other.is_api
        return self.location == other.location


@dataclass(frozen=True)
class DocumentOverrides:
    """What a caller says about a document, over what its file says (None: not said).

    Loading combines three of them: what the request gives, what the file itself states (front
    matter, PDF or DOCX properties) and what is kept from the stored document on a replacement;
    the first one that says a field wins (see :meth:`over`), and what none says is derived from
    the text (title from the first heading, language detected, kind ``source``).
    """

    doc_id: str | None = None
    title: str | None = None
    lang: str | None = None
    kind: str | None = None
    source_url: str | None = None

    def over(self, other: DocumentOverrides) -> DocumentOverrides:
        """These values, and ``other``'s where these say nothing."""
        return DocumentOverrides(
            **{
                f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(other, f.name)
                for f in fields(self)
            }
        )


NO_OVERRIDES = DocumentOverrides()


@dataclass(frozen=True)
class Document:
    """A whole document as loaded: the text citations point into, and its metadata.

    ``pages`` holds the character offset where each page starts (page 1 first) for formats
    that have pages; it is empty otherwise. ``origin`` says where it came from (None: unknown,
    e.g. indexed before origins were recorded); it is not part of the content hash.
    """

    doc_id: str
    title: str
    text: str
    lang: str
    kind: str = "source"
    source_url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    pages: tuple[int, ...] = ()
    origin: Origin | None = None

    def __post_init__(self) -> None:
        validate_doc_id(self.doc_id)

    @property
    def content_hash(self) -> str:
        """A hash of everything that affects the index: an unchanged hash means no re-embedding."""
        payload = json.dumps(
            {
                "title": self.title,
                "text": self.text,
                "lang": self.lang,
                "kind": self.kind,
                "source_url": self.source_url,
                "metadata": self.metadata,
                "pages": list(self.pages),
            },
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset``, or None for formats without pages."""
        if not self.pages:
            return None
        page = 0
        for i, start in enumerate(self.pages):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


def embedding_text(context: str, text: str) -> str:
    """What the embedder and the lexical index see for a chunk: its context, then its text."""
    return f"{context}\n{text}" if context else text


@dataclass(frozen=True)
class Chunk:
    """A span of a document: ``document.text[start:end] == text`` always holds.

    ``sentences`` are (start, end) document offsets of the chunk's sentences, used to
    highlight the sentence that answers a question. ``context`` is the document title and the
    headings the chunk sits under; it is embedded and indexed with the chunk but is not part of
    the cited text.
    """

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    context: str = ""
    lang: str = "und"
    years: tuple[int, ...] = ()
    page: int | None = None
    sentences: tuple[tuple[int, int], ...] = ()
    ordinals: tuple[int, ...] = ()
    """Ordinals that number an event in the chunk or its context ("the eighth meeting": 8)."""

    @property
    def embedding_text(self) -> str:
        return embedding_text(self.context, self.text)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embedding_text.encode("utf-8")).hexdigest()
