"""One published index version, loaded and immutable: what every query reads from."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import IndexCorrupt, ModelMismatch
from index.catalog import CatalogReader
from index.centring import LanguageMeans
from index.dense import DenseIndex
from index.filtering import ChunkFilter
from index.lexical import LexicalIndex
from index.sentences import SentenceVectors
from text.analyzer import ANALYZER_VERSION
from text.arabic import NORMALISER_VERSION

logger = logging.getLogger(__name__)

# Loads are rare; one at a time per process. numpy parses .npy headers with ast.literal_eval,
# and CPython 3.11 can fail with "AST constructor recursion depth mismatch" when that runs in
# several threads at once.
_LOAD_LOCK = threading.Lock()

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CATALOG = "catalog.sqlite"
DENSE = "dense.faiss"
LEXICAL = "lexical"


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
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as e:
            logger.error("cannot read the index manifest %s: %s", path, e)
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise IndexCorrupt(
                f"cannot read the manifest of index version {path.parent.name}: {reason}"
            ) from e

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


def _means_of(dense: DenseIndex, lexical: LexicalIndex) -> LanguageMeans:
    """Per-language statistics computed from the vectors, for a version that does not store them."""
    ids = dense.all_ids()

    def batches() -> Iterator[tuple[np.ndarray, list[str]]]:
        for start in range(0, len(ids), 100_000):
            part = ids[start : start + 100_000]
            yield dense.vectors(part), lexical.langs_of(part).tolist()

    return LanguageMeans.of_batches(batches(), dim=dense.dim)


def _stored_means(path: Path, *, dense: DenseIndex, lexical: LexicalIndex) -> LanguageMeans:
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
    means = _means_of(dense, lexical)
    try:
        means.save(path)
    except OSError as e:
        logger.warning(
            "cannot save the language means into %s (%s): they are computed again on each load", path, e
        )
    return means


class Snapshot:
    """A loaded version: manifest, catalog, dense and lexical indexes, sentence vectors.

    Nothing in it changes after loading; an ingest publishes a new version instead.
    """

    def __init__(
        self,
        *,
        version: str | None,
        path: Path | None = None,
        manifest: Manifest,
        catalog: CatalogReader | None,
        dense: DenseIndex,
        lexical: LexicalIndex,
        sentences: SentenceVectors,
        means: LanguageMeans,
    ) -> None:
        self.version = version
        self.path = path
        self.manifest = manifest
        self.catalog = catalog
        self.dense = dense
        self.lexical = lexical
        self.sentences = sentences
        self.means = means
        self.filter = ChunkFilter(catalog, lexical)
        """Which chunks a request's filters allow (:mod:`index.filtering`)."""
        counts = zip(self.means.langs, self.means.counts.tolist(), strict=True)
        self.languages: tuple[str, ...] = tuple(
            lang for lang, n in sorted(counts, key=lambda pair: (-pair[1], pair[0])) if n > 0
        )
        """The languages of the collection's chunks, the most common first."""

    @classmethod
    def empty(cls, *, model_id: str, dim: int) -> Snapshot:
        return cls(
            version=None,
            manifest=Manifest(model_id=model_id, dim=dim),
            catalog=None,
            dense=DenseIndex.build(np.zeros(0, np.int64), np.zeros((0, dim)), dim=dim, hnsw_threshold=1),
            lexical=LexicalIndex.build(np.zeros(0, np.int64), [], []),
            sentences=SentenceVectors.empty(dim),
            means=LanguageMeans.empty(dim),
        )

    @classmethod
    def load(cls, path: Path, *, version: str, model_id: str, dim: int) -> Snapshot:
        with _LOAD_LOCK:
            return cls._load(path, version=version, model_id=model_id, dim=dim)

    @classmethod
    def _load(cls, path: Path, *, version: str, model_id: str, dim: int) -> Snapshot:
        manifest = Manifest.read(path / MANIFEST)
        manifest.check_compatible(model_id=model_id, dim=dim)
        try:
            dense = DenseIndex.load(path / DENSE)
            lexical = LexicalIndex.load(path / LEXICAL)
            snapshot = cls(
                version=version,
                path=path,
                manifest=manifest,
                catalog=CatalogReader(path / CATALOG),
                dense=dense,
                lexical=lexical,
                sentences=SentenceVectors.load(path),
                means=_stored_means(path, dense=dense, lexical=lexical),
            )
        except (OSError, RuntimeError, ValueError) as e:
            logger.error("cannot load index version %s: %s", path, e)
            reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
            raise IndexCorrupt(f"cannot load index version {path.name}: {reason}") from e
        if len(snapshot.dense) != manifest.chunks or len(snapshot.lexical) != manifest.chunks:
            raise IndexCorrupt(
                f"index version {path.name} is inconsistent: manifest says {manifest.chunks} chunks, "
                f"dense has {len(snapshot.dense)}, lexical has {len(snapshot.lexical)}"
            )
        logger.info(
            "loaded index %s: %d documents, %d chunks (%s)",
            version,
            len(manifest.documents),
            manifest.chunks,
            manifest.dense_kind,
        )
        return snapshot

    @property
    def is_empty(self) -> bool:
        return self.catalog is None or self.manifest.chunks == 0

    def close(self) -> None:
        if self.catalog is not None:
            self.catalog.close()
