"""What search needs from the engines that hold an index version, as typed protocols.

A version is served by one family of backends, chosen by ``MARJA_BACKEND``
(:mod:`index.backends.factory`): FAISS, bm25s and SQLite files on the local disk, or Milvus
collections. :mod:`index.search` and :class:`index.snapshot.Snapshot` depend only on these
protocols, so both families rank with the same fusion and give the same answers.

Where a search may look is described by a :class:`Scope` (the user's filters and, optionally, one
language); each backend turns it into its own form (chunk ids for FAISS and bm25s, a filter
expression for Milvus).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from core.document import Document, Origin
from index.records import ChunkFacts, DocumentInfo, Filters, StoredChunk

BM25_K1 = 1.5
BM25_B = 0.75
"""BM25's term-frequency saturation and length normalisation, the same in every backend (bm25s's
defaults, which marja's fusion was fitted with)."""


@dataclass(frozen=True)
class Scope:
    """The chunks a search may return: those passing ``filters`` and, if set, in ``lang``."""

    filters: Filters = field(default_factory=Filters)
    lang: str | None = None

    def in_language(self, lang: str) -> Scope:
        return replace(self, lang=lang)

    @property
    def is_everything(self) -> bool:
        return self.lang is None and self.filters.is_empty()


@dataclass(frozen=True)
class DenseHits:
    ids: np.ndarray  # int64 chunk ids, best first
    scores: np.ndarray  # float32 cosine similarities


@dataclass(frozen=True)
class LexicalHits:
    """BM25's proposals for one question, and the BM25 of any other chunk for the same terms."""

    ids: np.ndarray
    """int64 chunk ids of the (at most) k best chunks with a positive score, in no order."""
    scores: np.ndarray
    """float32 BM25 of each of ``ids``."""
    score_of: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)
    """BM25 of any chunk ids (0 where no term matches), whatever their language."""


class DenseBackend(Protocol):
    """Nearest chunks by inner product of unit vectors, and the stored vectors."""

    @property
    def kind(self) -> str:
        """How it searches: ``flat`` (exact) or ``hnsw``."""
        ...

    @property
    def dim(self) -> int: ...

    @property
    def remote(self) -> bool:
        """Each call is a round trip to a server: the searches of one question run at once."""
        ...

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, *, scope: Scope | None = None) -> DenseHits:
        """The ``k`` nearest chunks to one query vector, within ``scope`` (None: all)."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, in that order (each must be in the index)."""
        ...

    def all_ids(self) -> np.ndarray:
        """Every chunk id, sorted."""
        ...


class LexicalBackend(Protocol):
    """BM25 over the analysed terms of each chunk (:mod:`text.analyzer`)."""

    def __len__(self) -> int: ...

    def search(self, terms: Sequence[str], k: int, *, scope: Scope) -> LexicalHits:
        """The ``k`` chunks with the best positive BM25 for ``terms`` within ``scope``; a term
        repeated in ``terms`` counts again."""
        ...

    def max_score(self, terms: Sequence[str], *, unseen: bool = False) -> float:
        """The most any chunk could score for ``terms`` in the units of :meth:`search`: the sum
        of their idf. With ``unseen``, terms no chunk contains count at the idf of a term in no
        chunk."""
        ...

    def langs_of(self, ids: np.ndarray) -> np.ndarray:
        """The language of each of ``ids`` (each must be in the index)."""
        ...

    def knows_any(self, terms: Sequence[str]) -> bool:
        """Whether any of ``terms`` occurs in a chunk of the index (in any language)."""
        ...


class SentenceVectorsView(Protocol):
    """Sentence vectors of some chunks, in memory (:class:`index.sentences.SentenceVectors`)."""

    def of(self, chunk_id: int) -> np.ndarray | None: ...

    def best_scores(self, chunk_ids: np.ndarray, query: np.ndarray) -> np.ndarray: ...

    def best_of(
        self, chunk_ids: np.ndarray, score: Callable[[np.ndarray, np.ndarray], np.ndarray], *, width: int = 1
    ) -> np.ndarray: ...


class SentenceBackend(Protocol):
    """The vectors of the sentences of multi-sentence chunks."""

    def __len__(self) -> int: ...

    def subset(self, chunk_ids: np.ndarray) -> SentenceVectorsView:
        """The sentence vectors of ``chunk_ids`` (at least), read once for one question."""
        ...


class Catalog(Protocol):
    """Documents and chunks of one version: texts, offsets, metadata, origins."""

    def document_hashes(self) -> dict[str, str]: ...

    def document_origins(self) -> dict[str, Origin | None]: ...

    def chunk_hashes(self, doc_id: str) -> dict[str, int]:
        """content hash → chunk id of a document's chunks, to reuse their vectors."""
        ...

    def chunk_ids(self, doc_id: str) -> list[int]: ...

    def chunks(self, ids: Iterable[int]) -> dict[int, StoredChunk]: ...

    def facts_of(self, ids: Iterable[int]) -> dict[int, ChunkFacts]:
        """The years each of ``ids`` mentions, its document's year and its ordinals."""
        ...

    def mentions_year(self, years: Iterable[int]) -> bool:
        """Whether any chunk mentions one of ``years`` or any document is about one."""
        ...

    @property
    def knows_ordinals(self) -> bool:
        """False for a catalog written before ordinals were recorded: no ordinal evidence."""
        ...

    def mentions_ordinal(self, ordinals: Iterable[int]) -> bool:
        """Whether any chunk mentions one of ``ordinals``."""
        ...

    def documents(self) -> list[DocumentInfo]: ...

    def document(self, doc_id: str) -> tuple[DocumentInfo, str] | None: ...

    def load_documents(self) -> list[Document]:
        """Every stored document, whole."""
        ...

    def close(self) -> None: ...
