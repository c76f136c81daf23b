"""Index versions as Milvus collections, published by an alias switch.

The alias ``{prefix}`` is the Milvus counterpart of the ``CURRENT`` file: it names the chunks
collection of the current version, and switching it (``alter_alias``, atomic in Milvus) publishes
the next one. A writer creates the next version's collections (:mod:`index.milvus.writer`), flushes
them, checks that nobody published meanwhile and switches the alias; then it drops the versions
past ``keep_versions``. If it dies at any point before the switch, the alias still names the
previous version and the next writer drops the half-written collections. Every server that points
at the same Milvus and prefix sees a publish on its next request (one ``describe_alias``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from core.errors import IndexBusy, IndexCorrupt, VersionGone, VersionNotFound
from index.backends.milvus_dense import MilvusDense
from index.backends.milvus_lexical import MilvusLexical
from index.centring import LanguageMeans
from index.milvus.catalog import MilvusCatalog
from index.milvus.client import client_for, errors, shown_uri
from index.milvus.lock import MilvusLease, alias_target
from index.milvus.schema import VersionNames, joined, version_of
from index.milvus.sentences import MilvusSentences
from index.milvus.writer import MANIFEST_STREAM, MEANS_STREAM, VersionWriter
from index.snapshot import Manifest, Snapshot
from index.store import KEEP_VERSIONS, check_version_name
from index.version_store import Progress, VersionChanges, no_progress

logger = logging.getLogger(__name__)


class MilvusStore:
    """The versions of one index (``prefix``) in one Milvus (a :class:`~index.version_store.VersionStore`)."""

    def __init__(
        self, *, uri: str, token: str = "", prefix: str, lock_dir: Path, keep_versions: int = KEEP_VERSIONS
    ) -> None:
        if keep_versions < 1:
            raise ValueError("keep_versions must be at least 1")
        self.uri = uri
        self.prefix = prefix
        self.keep_versions = keep_versions
        self._token = token
        self._lock_dir = lock_dir
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client_for(self.uri, self._token)
        return self._client

    def describe(self) -> str:
        return f"the index {self.prefix!r} in Milvus at {shown_uri(self.uri)}"

    # -- the current version ---------------------------------------------------------------

    def stamp(self) -> str | None:
        with errors(self.uri, "reading the current version"):
            return alias_target(self.client, self.prefix)

    def current(self) -> str | None:
        target = self.stamp()
        number = version_of(self.prefix, target) if target else None
        return VersionNames(self.prefix, number).version if number is not None else None

    def _current_number(self) -> int:
        current = self.current()
        return int(current[1:]) if current else 0

    def published(self) -> list[str]:
        last = self._current_number()
        return [VersionNames(self.prefix, n).version for n in self._numbers() if n <= last]

    def _numbers(self) -> list[int]:
        with errors(self.uri, "listing collections"):
            names = self.client.list_collections()
        return sorted({n for name in names if (n := version_of(self.prefix, name)) is not None})

    # -- reading ---------------------------------------------------------------------------

    def _exists(self, names: VersionNames) -> bool:
        with errors(self.uri, f"looking for {names.version}"):
            return all(self.client.has_collection(name) for name in names.all)

    def _records(self, names: VersionNames) -> tuple[Manifest, LanguageMeans]:
        with errors(self.uri, f"reading the manifest of {names.version}"):
            rows = self.client.query(
                names.documents,
                filter=f'owner == "" and stream in ["{MANIFEST_STREAM}", "{MEANS_STREAM}"]',
                output_fields=["owner", "stream", "part", "payload"],
                limit=16_384,
            )
        texts = joined(rows)
        if ("", MANIFEST_STREAM) not in texts or ("", MEANS_STREAM) not in texts:
            raise IndexCorrupt(f"index version {names.version} in Milvus has no manifest")
        manifest = Manifest.parse(texts[("", MANIFEST_STREAM)], version=names.version)
        means = json.loads(texts[("", MEANS_STREAM)])
        langs = tuple(means["langs"])
        return manifest, LanguageMeans(
            langs,
            np.asarray(means["counts"], dtype=np.int64),
            np.asarray(means["sums"], dtype=np.float64).reshape(len(langs), manifest.dim),
        )

    def load(self, version: str, *, model_id: str, dim: int) -> Snapshot:
        names = VersionNames(self.prefix, int(check_version_name(version)[1:]))
        if not self._exists(names):
            raise IndexCorrupt(f"index version {version} is missing from Milvus ({shown_uri(self.uri)})")
        manifest, means = self._records(names)
        manifest.check_compatible(model_id=model_id, dim=dim)
        client = self.client
        with errors(self.uri, f"loading {version}"):
            for name in names.all:
                client.load_collection(name)
        lexical = MilvusLexical(
            client, uri=self.uri, chunks=names.chunks, terms=names.terms, size=manifest.chunks
        )
        logger.info(
            "loaded index %s from Milvus: %d documents, %d chunks (%s)",
            version,
            len(manifest.documents),
            manifest.chunks,
            manifest.dense_kind,
        )
        return Snapshot(
            version=version,
            manifest=manifest,
            catalog=MilvusCatalog(client, uri=self.uri, names=names),
            dense=MilvusDense(
                client,
                uri=self.uri,
                collection=names.chunks,
                dim=dim,
                size=manifest.chunks,
                kind=manifest.dense_kind,
            ),
            lexical=lexical,
            sentences=MilvusSentences(
                client, uri=self.uri, collection=names.sentences, dim=dim, size=manifest.sentence_vectors
            ),
            means=means,
        )

    def open_catalog(self, version: str) -> MilvusCatalog:
        number = int(check_version_name(version)[1:])
        names = VersionNames(self.prefix, number)
        last = self._current_number()
        if number > last:  # never published (or being written right now)
            raise VersionNotFound(f"there is no index version {version}")
        if not self._exists(names):
            if number < 1:
                raise VersionNotFound(f"there is no index version {version}")
            raise VersionGone(
                f"index version {version} is no longer kept: marja keeps the newest {self.keep_versions} "
                "versions (MARJA_KEEP_VERSIONS); read the document without ?version= for its current text"
            )
        return MilvusCatalog(self.client, uri=self.uri, names=names)

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def write_lock(self, *, timeout: float) -> Iterator[None]:
        """Writers of this machine queue on a file lock, then take the lease every replica shares."""
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        local = FileLock(str(self._lock_dir / "write.lock"))
        try:
            local.acquire(timeout=timeout)
        except Timeout as e:
            raise IndexBusy(
                f"another ingest is running (waited {timeout:.0f} s for the index write lock); try later"
            ) from e
        try:
            with MilvusLease(self.client, uri=self.uri, prefix=self.prefix, timeout=timeout):
                self._drop_unpublished()
                yield
        finally:
            local.release()

    def _drop(self, names: VersionNames) -> None:
        with errors(self.uri, f"dropping {names.version}"):
            for name in names.all:
                if self.client.has_collection(name):
                    self.client.drop_collection(name)

    def _drop_unpublished(self) -> None:
        """Drop the collections of versions never published (a writer died before its switch)."""
        last = self._current_number()
        for number in self._numbers():
            if number > last:
                logger.warning(
                    "dropping index version v%06d, left unpublished by an interrupted ingest", number
                )
                self._drop(VersionNames(self.prefix, number))

    def write(self, previous: Snapshot, changes: VersionChanges, *, progress: Progress = no_progress) -> str:
        base = self.current()
        names = VersionNames(self.prefix, self._current_number() + 1)
        self._drop(names)
        total = previous.manifest.chunks - len(changes.removed_ids) + len(changes.chunks)
        writer = VersionWriter(self.client, uri=self.uri, names=names, progress=progress)
        try:
            progress("index", 0, 1)
            writer.write(previous, changes, hnsw=total >= changes.hnsw_threshold)
            progress("index", 1, 1)
            self._publish(names, expected=base)
        except BaseException:
            if self.current() != names.version:
                self._drop(names)
            raise
        self._prune(keep=names.number)
        return names.version

    def _publish(self, names: VersionNames, *, expected: str | None) -> None:
        if self.current() != expected:
            raise IndexBusy(
                f"another writer published {self.current()} while {names.version} was being written; "
                "nothing was lost: try again"
            )
        with errors(self.uri, f"publishing {names.version}"):
            if expected is None:
                self.client.create_alias(names.chunks, self.prefix)
            else:
                self.client.alter_alias(names.chunks, self.prefix)
        logger.info("published index version %s in Milvus (%s)", names.version, shown_uri(self.uri))

    def _prune(self, *, keep: int) -> None:
        """Drop all but the newest ``keep_versions`` versions."""
        numbers = [n for n in self._numbers() if n <= keep]
        for number in numbers[: -self.keep_versions]:
            self._drop(VersionNames(self.prefix, number))
