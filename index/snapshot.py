"""One published index version, loaded and immutable: what every query reads from, whatever
backend serves it; and the manifest that describes a version."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import IndexCorrupt, ModelMismatch
from index.backends.base import Catalog, DenseBackend, LexicalBackend, SentenceBackend
from index.backends.bm25s_lexical import Bm25sLexical, LexicalIndex
from index.backends.faiss_dense import DenseIndex, FaissDense
from index.backends.local_scope import LocalScopes
from index.centring import LanguageMeans
from index.sentences import SentenceVectors
from text.analyzer import ANALYZER_VERSION
from text.arabic import NORMALISER_VERSION

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Manifest:
    """What a version was built with and what it holds."""

    model_id: str
    dim: int
    normaliser: str = NORMALISER_VERSION
    analyzer: str = ANALYZER_VERSION
    format: int = FORMAT_VERSION
    created_at: str = ""
    chunking: dict[str, Any] = field(default_factory=dict)
    dense_kind: str = "flat"
    chunks: int = 0
    sentence_vectors: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    """Chunks per language (their mean vectors are in ``language_means.npz``)."""
    next_chunk_id: int = 0
    documents: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            logger.error("cannot read the index manifest %s: %s", path, e)
            raise IndexCorrupt(
                f"cannot read the manifest of index version {path.parent.name}: {e.strerror or e}"
            ) from e
        return cls.parse(text, version=path.parent.name)

    @classmethod
    def parse(cls, text: str, *, version: str) -> Manifest:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as e:
            logger.error("cannot parse the manifest of index version %s: %s", version, e)
            raise IndexCorrupt(f"cannot read the manifest of index version {version}: {e}") from e

    def check_compatible(self, *, model_id: str, dim: int) -> None:
        """Raise :class:`ModelMismatch` unless this version can be queried with ``model_id``."""
        problems = []
        if self.model_id != model_id or self.dim != dim:
            problems.append(
                f"it was built with the model {self.model_id!r} ({self.dim}-d) but marja is "
                f"configured with {model_id!r} ({dim}-d)"
            )
        if self.normaliser != NORMALISER_VERSION or self.analyzer != ANALYZER_VERSION:
            problems.append(
                f"it was built with text analysis {self.normaliser}/{self.analyzer}, "
                f"this version of marja uses {NORMALISER_VERSION}/{ANALYZER_VERSION}"
            )
        if self.format != FORMAT_VERSION:
            problems.append(f"its format is {self.format}, this marja reads {FORMAT_VERSION}")
        if problems:
            raise ModelMismatch(
                "the index cannot be used: "
                + "; ".join(problems)
                + ". Re-index with `marja reindex` (re-embeds the stored documents) or set "
                "MARJA_MODEL back to the model the index was built with."
            )


def means_of(dense: DenseBackend, lexical: LexicalBackend) -> LanguageMeans:
    """Per-language statistics computed from the vectors, for a version that does not store them."""
    ids = dense.all_ids()

    def batches() -> Iterator[tuple[np.ndarray, list[str]]]:
        for start in range(0, len(ids), 100_000):
            part = ids[start : start + 100_000]
            yield dense.vectors(part), lexical.langs_of(part).tolist()

    return LanguageMeans.of_batches(batches(), dim=dense.dim)


@dataclass(frozen=True)
class LocalFiles:
    """The files of a version on the local disk, which the next local version is built from."""

    path: Path
    dense: DenseIndex
    sentences: SentenceVectors


class Snapshot:
    """A loaded version: manifest, catalog, dense and lexical backends, sentence vectors.

    Nothing in it changes after loading; an ingest publishes a new version instead. The backends
    are whatever the store serves (:mod:`index.backends`): search sees only their protocols.
    """

    def __init__(
        self,
        *,
        version: str | None,
        manifest: Manifest,
        catalog: Catalog | None,
        dense: DenseBackend,
        lexical: LexicalBackend,
        sentences: SentenceBackend,
        means: LanguageMeans | None = None,
        files: LocalFiles | None = None,
        closers: tuple[Callable[[], None], ...] = (),
    ) -> None:
        self.version = version
        self.manifest = manifest
        self.catalog = catalog
        self.dense = dense
        self.lexical = lexical
        self.sentences = sentences
        self.means = means if means is not None else means_of(dense, lexical)
        self.files = files
        self._closers = closers
        counts = zip(self.means.langs, self.means.counts.tolist(), strict=True)
        self.languages: tuple[str, ...] = tuple(
            lang for lang, n in sorted(counts, key=lambda pair: (-pair[1], pair[0])) if n > 0
        )
        """The languages of the collection's chunks, the most common first."""

    @classmethod
    def empty(cls, *, model_id: str, dim: int) -> Snapshot:
        lexical = LexicalIndex.build(np.zeros(0, np.int64), [], [])
        scopes = LocalScopes(None, lexical)
        return cls(
            version=None,
            manifest=Manifest(model_id=model_id, dim=dim),
            catalog=None,
            dense=FaissDense(
                DenseIndex.build(np.zeros(0, np.int64), np.zeros((0, dim)), dim=dim, hnsw_threshold=1), scopes
            ),
            lexical=Bm25sLexical(lexical, scopes),
            sentences=SentenceVectors.empty(dim),
            means=LanguageMeans.empty(dim),
        )

    @property
    def is_empty(self) -> bool:
        return self.catalog is None or self.manifest.chunks == 0

    def close(self) -> None:
        if self.catalog is not None:
            self.catalog.close()
        for close in self._closers:
            close()
