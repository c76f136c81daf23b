"""The collection: the one object the service and the CLI talk to.

It owns the on-disk store and the currently loaded snapshot. Reads use whatever snapshot is
current when they start; writes build a new version under the store's lock and swap it in. A
version published by another process (``marja ingest`` beside ``marja serve``) is noticed on
the next read.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.document import Document, Origin
from core.errors import (
    DocumentExists,
    DocumentNotFound,
    EmptyIndex,
    IndexCorrupt,
    IndexWriteFailed,
    InvalidQuery,
)
from core.limits import LANG_CODE_PATTERN, MAX_QUESTION_CHARS, MAX_TOP_K
from index.backends.factory import BackendConfig, create_store
from index.builder import BuildOptions, IngestReport, build_version, copy_version, plan_changes
from index.confidence import ANSWER_THRESHOLD, NO_ANSWER_REASON, ConfidenceModel
from index.embedders.base import Embedder
from index.fusion import FusionWeights
from index.records import DocumentInfo, Filters
from index.search import Hit, Query, search, with_follow_up_context
from index.snapshot import Snapshot
from index.store import KEEP_VERSIONS
from index.version_store import Progress, VersionStore, no_progress
from text.cleaning import has_visible_text
from text.language import UNDETERMINED, detect_language_among

if TYPE_CHECKING:
    from ingest.folders import FolderScan

logger = logging.getLogger(__name__)

QUESTION_LANGUAGE_SAMPLE = 600
"""Characters of a question its language is detected from (a long question says no more)."""


@dataclass(frozen=True)
class Answer:
    question: str
    lang: str
    """The language of the question, as ranking took it (one of the collection's languages when
    the question is in their script: :func:`text.language.detect_language_among`)."""
    hits: list[Hit]
    version: str | None
    answered: bool = False
    """Whether any passage answers (``Hit.answers``: its confidence reaches the collection's
    threshold, see :mod:`index.confidence`), wherever it ranks."""
    reason: str | None = None
    """Why there is no answer, when ``answered`` is false."""
    embed_seconds: float = 0.0
    """Time spent on the question's vector (about zero when it was cached)."""
    search_seconds: float = 0.0
    """Time spent on everything else: language, analysis, both indexes, fusion, highlights."""


EMPTY_INDEX_REASON = "the index holds no documents"
NO_MATCH_REASON = "no passage matches the filters"


def _no_answer_reason(snapshot: Snapshot, filters: Filters | None, hits: Sequence[Hit]) -> str:
    """Why a question got no answer: nothing to search, nothing the filters let through, or
    nothing close enough (search returns no passage only in the first two cases)."""
    if snapshot.is_empty:
        return EMPTY_INDEX_REASON
    if not hits and filters is not None and not filters.is_empty():
        return NO_MATCH_REASON
    return NO_ANSWER_REASON


@dataclass(frozen=True)
class Preview:
    """What an ingest or sync would do (nothing written), and where each document comes from."""

    report: IngestReport
    origins: dict[str, Origin | None]
    """The origin of every document the report names: the file's for additions and
    replacements, the indexed one for removals."""


_LANG_CODE = re.compile(LANG_CODE_PATTERN)


def _checked(question: str, *, top_k: int, filters: Filters | None, previous_question: str | None) -> str:
    """``question`` stripped, once it and the options are within :mod:`core.limits`."""
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidQuery(f"the question is over the limit of {MAX_QUESTION_CHARS:,} characters")
    if previous_question is not None and len(previous_question) > MAX_QUESTION_CHARS:
        raise InvalidQuery(f"the previous question is over the limit of {MAX_QUESTION_CHARS:,} characters")
    question = question.strip()
    if not has_visible_text(question):
        raise InvalidQuery("the question is empty")
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQuery(f"top_k must be between 1 and {MAX_TOP_K}")
    if filters is not None and filters.lang is not None and not _LANG_CODE.match(filters.lang):
        raise InvalidQuery(
            f"the language filter {filters.lang[:20]!r} is not a language code (2 or 3 lower-case "
            "letters, such as 'ar' or 'en')"
        )
    return question


@dataclass(frozen=True)
class Migration:
    """A version copied from another backend's store (``marja migrate``)."""

    source: str
    source_version: str
    target: str
    version: str
    documents: int
    chunks: int
    seconds: float


Changes = Callable[[Snapshot], tuple[Sequence[Document], Sequence[str]]]
"""Given the version current under the write lock: the documents to upsert and ids to remove."""


class QueryVectorCache:
    """A small thread-safe LRU of question vectors: widget users repeat and rephrase."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


class Collection:
    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder,
        *,
        options: BuildOptions | None = None,
        weights: FusionWeights | None = None,
        calibration: ConfidenceModel | None = None,
        answer_threshold: float = ANSWER_THRESHOLD,
        lock_timeout: float = 600.0,
        keep_versions: int = KEEP_VERSIONS,
        backend: BackendConfig | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.options = options or BuildOptions()
        self.weights = weights or FusionWeights()
        self.calibration = calibration or ConfidenceModel()
        self.answer_threshold = answer_threshold
        self.query_vectors = QueryVectorCache()
        self.lock_timeout = lock_timeout
        self.backend = backend or BackendConfig()
        self.store: VersionStore = create_store(self.backend, data_dir=data_dir, keep_versions=keep_versions)
        self._snapshot: Snapshot | None = None
        self._stamp: Hashable | None = None
        self._swap_lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------

    def _load_current(self) -> Snapshot:
        for _attempt in range(3):
            version = self.store.current()
            if version is None:
                return Snapshot.empty(model_id=self.embedder.model_id, dim=self.embedder.dim)
            try:
                return self.store.load(version, model_id=self.embedder.model_id, dim=self.embedder.dim)
            except IndexCorrupt:
                if self.store.current() == version:
                    raise
                # Another process published twice while we loaded and pruned this version.
                logger.info("index version %s was replaced while loading; loading the new one", version)
        raise IndexCorrupt("the index kept changing while it was being loaded; try again")

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded first if another process published a new version."""
        stamp = self.store.stamp()
        if self._snapshot is not None and stamp == self._stamp:
            return self._snapshot
        # One thread reloads; the others keep answering from the snapshot they have.
        if self._snapshot is not None and not self._swap_lock.acquire(blocking=False):
            return self._snapshot
        if self._snapshot is None:
            self._swap_lock.acquire()
        try:
            stamp = self.store.stamp()
            if self._snapshot is None or stamp != self._stamp:
                self._install(self._load_current(), stamp)
        finally:
            self._swap_lock.release()
        assert self._snapshot is not None
        return self._snapshot

    def _install(self, snapshot: Snapshot, stamp: Hashable | None) -> None:
        self._snapshot, self._stamp = snapshot, stamp

    def documents(self) -> list[DocumentInfo]:
        return self.documents_with_version()[0]

    def documents_with_version(self) -> tuple[list[DocumentInfo], str | None]:
        """Every document, and the index version the list comes from."""
        snapshot = self.snapshot()
        return (snapshot.catalog.documents() if snapshot.catalog else []), snapshot.version

    def document(self, doc_id: str) -> tuple[DocumentInfo, str]:
        info, text, _version = self.document_at(doc_id)
        return info, text

    def document_at(self, doc_id: str, version: str | None = None) -> tuple[DocumentInfo, str, str | None]:
        """A document as it is in ``version`` (the current one when None), and that version.

        An older version can be read while it is kept: a citation names the version it came
        from. Raises :class:`VersionGone` once it is pruned, :class:`VersionNotFound` or
        :class:`InvalidVersion` for a version that never was, :class:`DocumentNotFound` when the
        document is not in it.
        """
        snapshot = self.snapshot()
        if version is None or version == snapshot.version:
            found = snapshot.catalog.document(doc_id) if snapshot.catalog else None
            if found is None:
                raise DocumentNotFound(doc_id)
            return found[0], found[1], snapshot.version
        catalog = self.store.open_catalog(version)
        try:
            found = catalog.document(doc_id)
        finally:
            catalog.close()
        if found is None:
            raise DocumentNotFound(doc_id, version=version)
        return found[0], found[1], version

    def query_vector(self, text: str) -> np.ndarray:
        vector = self.query_vectors.get(text)
        if vector is None:
            vector = self.embedder.embed_queries([text])[0]
            self.query_vectors.put(text, vector)
        return vector

    def prepare(
        self, question: str, *, previous_question: str | None = None, snapshot: Snapshot | None = None
    ) -> Query:
        """The question as search takes it: its text (with a follow-up's context), language, time
        intent, terms and vector."""
        return self._prepare(
            question, previous_question=previous_question, snapshot=snapshot or self.snapshot()
        )[0]

    def _prepare(
        self, question: str, *, previous_question: str | None, snapshot: Snapshot
    ) -> tuple[Query, float]:
        """The query, and the seconds spent on its vector (about zero when it was cached)."""
        text = with_follow_up_context(question, previous_question)
        # The question's own words decide its language; a follow-up without letters ("2019?")
        # takes the language of the question it follows.
        languages = snapshot.languages
        language = detect_language_among(question[:QUESTION_LANGUAGE_SAMPLE], languages)
        if language == UNDETERMINED:
            language = detect_language_among(text[:QUESTION_LANGUAGE_SAMPLE], languages)
        started = time.perf_counter()
        vector = self.query_vector(text)
        embed_seconds = time.perf_counter() - started
        return Query.prepare(text, language=language, vector=vector), embed_seconds

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        filters: Filters | None = None,
        previous_question: str | None = None,
    ) -> Answer:
        """The passages that best answer ``question``, best first.

        The bounds of :mod:`core.limits` hold here as in the HTTP API: an empty question, one
        over ``MAX_QUESTION_CHARS``, ``top_k`` outside 1–``MAX_TOP_K`` or a filter language that
        is not a language code raise :class:`InvalidQuery`.
        """
        started = time.perf_counter()
        question = _checked(question, top_k=top_k, filters=filters, previous_question=previous_question)
        if previous_question is not None and not has_visible_text(previous_question):
            previous_question = None
        snapshot = self.snapshot()
        query, embed_seconds = self._prepare(question, previous_question=previous_question, snapshot=snapshot)
        hits = search(
            snapshot,
            query,
            top_k=top_k,
            filters=filters or Filters(),
            weights=self.weights,
            calibration=self.calibration,
            threshold=self.answer_threshold,
        )
        answered = any(hit.answers for hit in hits)
        return Answer(
            question=question,
            lang=query.language,
            hits=hits,
            version=snapshot.version,
            answered=answered,
            reason=None if answered else _no_answer_reason(snapshot, filters, hits),
            embed_seconds=embed_seconds,
            search_seconds=time.perf_counter() - started - embed_seconds,
        )

    # -- writing -------------------------------------------------------------------------

    def apply(
        self,
        *,
        upserts: Sequence[Document] = (),
        removals: Sequence[str] = (),
        progress: Progress = no_progress,
        force: bool = False,
        must_be_new: bool = False,
    ) -> IngestReport:
        """Add or replace ``upserts`` and delete ``removals`` in one new version.

        With ``must_be_new``, an upsert whose id is already in the index raises
        :class:`DocumentExists` instead (checked under the write lock, so two clients adding the
        same id cannot both succeed). When this returns, the new version is on disk (flushed) and
        served by this process. If it cannot be written, :class:`IndexWriteFailed` is raised and
        nothing changes.
        """

        def changes(previous: Snapshot) -> tuple[Sequence[Document], Sequence[str]]:
            if must_be_new and previous.catalog is not None:
                existing = previous.catalog.document_hashes()
                for document in upserts:
                    if document.doc_id in existing:
                        raise DocumentExists(document.doc_id)
            return upserts, removals

        return self._publish(changes, progress=progress, force=force)

    def sync(
        self, scan: FolderScan, *, remove_missing: bool = True, progress: Progress = no_progress
    ) -> IngestReport:
        """Make the index match the scanned folders, in one new version: add new files, replace
        changed ones and (with ``remove_missing``) remove the documents whose file under a
        scanned folder is gone (see :meth:`FolderScan.stale`)."""
        return self._publish(
            lambda previous: (scan.documents, self._stale(previous, scan) if remove_missing else []),
            progress=progress,
        )

    def preview(self, scan: FolderScan, *, remove_missing: bool = True) -> Preview:
        """What :meth:`sync` would do now, without writing anything."""
        previous = self.snapshot()
        removals = self._stale(previous, scan) if remove_missing else []
        report, _ = plan_changes(previous, scan.documents, removals)
        indexed = previous.catalog.document_origins() if previous.catalog else {}
        origins = {doc_id: indexed.get(doc_id) for doc_id in report.removed}
        origins.update({d.doc_id: d.origin for d in scan.documents})
        return Preview(report=report, origins=origins)

    @staticmethod
    def _stale(previous: Snapshot, scan: FolderScan) -> list[str]:
        return scan.stale(previous.catalog.document_origins()) if previous.catalog else []

    def _publish(self, changes: Changes, *, progress: Progress, force: bool = False) -> IngestReport:
        """Build and publish the version that applies ``changes`` to the current one."""
        with self._writing(), self.store.write_lock(timeout=self.lock_timeout):
            previous = self._snapshot
            if previous is None or previous.version != self.store.current():
                previous = self._load_current()
            upserts, removals = changes(previous)
            report = build_version(
                self.store,
                previous,
                upserts=upserts,
                removals=removals,
                embedder=self.embedder,
                options=self.options,
                progress=progress,
                force=force,
            )
            if report.version != previous.version:
                with self._swap_lock:
                    self._install(self._load_current(), self.store.stamp())
        return report

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn file-system failures of a write into one clear domain error."""
        try:
            yield
        except OSError as e:
            disk_full = e.errno in (errno.ENOSPC, errno.EDQUOT)
            reason = e.strerror or str(e)
            logger.error("index write failed in %s: %s", self.data_dir, reason)
            raise IndexWriteFailed(
                f"cannot write the index: {reason}; the previous version keeps serving",
                disk_full=disk_full,
            ) from e

    def ingest(self, documents: Sequence[Document], *, progress: Progress = no_progress) -> IngestReport:
        """Add new documents and replace changed ones; unchanged ones are skipped."""
        return self.apply(upserts=documents, progress=progress)

    def add(
        self, document: Document, *, replace: bool = False, progress: Progress = no_progress
    ) -> IngestReport:
        """Add one document. Unless ``replace``, an id already in the index raises
        :class:`DocumentExists` and nothing changes; with it, the document is added or replaced.
        An exception raised by ``progress`` abandons the ingest before anything is published."""
        return self.apply(upserts=[document], must_be_new=not replace, progress=progress)

    def remove(self, doc_id: str) -> IngestReport:
        return self.apply(removals=[doc_id])

    def reindex(self, *, progress: Progress = no_progress) -> IngestReport:
        """Re-embed every stored document with the configured model (after a model change)."""
        with self._writing(), self.store.write_lock(timeout=self.lock_timeout):
            version = self.store.current()
            if version is None:
                return IngestReport()
            catalog = self.store.open_catalog(version)
            try:
                documents = catalog.load_documents()
            finally:
                catalog.close()
            empty = Snapshot.empty(model_id=self.embedder.model_id, dim=self.embedder.dim)
            report = build_version(
                self.store,
                empty,
                upserts=documents,
                embedder=self.embedder,
                options=self.options,
                progress=progress,
                force=True,
            )
            with self._swap_lock:
                self._install(self._load_current(), self.store.stamp())
        return report

    def migrate_from(self, source: VersionStore, *, progress: Progress = no_progress) -> Migration:
        """Copy the current version of ``source`` (another backend's store) into this collection's
        store as its next version — documents, chunks, vectors, statistics — without embedding
        anything. Raises :class:`EmptyIndex` when ``source`` has nothing published."""
        started = time.perf_counter()
        with self._writing(), self.store.write_lock(timeout=self.lock_timeout):
            version = source.current()
            if version is None:
                raise EmptyIndex(f"there is nothing to migrate: {source.describe()} has no published version")
            snapshot = source.load(version, model_id=self.embedder.model_id, dim=self.embedder.dim)
            try:
                name = copy_version(
                    self.store, snapshot, hnsw_threshold=self.options.hnsw_threshold, progress=progress
                )
            finally:
                snapshot.close()
            with self._swap_lock:
                self._install(self._load_current(), self.store.stamp())
        migration = Migration(
            source=source.describe(),
            source_version=version,
            target=self.store.describe(),
            version=name,
            documents=len(snapshot.manifest.documents),
            chunks=snapshot.manifest.chunks,
            seconds=time.perf_counter() - started,
        )
        logger.info("migrated %s %s to %s %s", migration.source, version, migration.target, name)
        return migration
