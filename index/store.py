"""Index versions on disk: one directory per version, published atomically.

Layout under the data directory::

    index/CURRENT              name of the published version (replaced atomically)
    index/versions/v000007/    manifest.json, catalog.sqlite, dense.faiss, lexical/, sentences.npy
    index/versions/.tmp-*/     a version being written; never read, removed when found stale
    index/write.lock           held by the one process writing a version

A writer builds a complete version in a temporary directory, flushes it to disk, renames it into
place and only then replaces ``CURRENT``. A crash at any point leaves ``CURRENT`` naming a complete
version; readers never see a partial one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from core.errors import IndexBusy, InvalidVersion, VersionGone, VersionNotFound
from index.catalog import CatalogReader
from index.local_version import CATALOG, load_version, write_version
from index.snapshot import Snapshot
from index.version_store import Progress, VersionChanges, no_progress

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"v([0-9]{6,})")
MAX_VERSION_NAME = 16
KEEP_VERSIONS = 5
"""Published versions kept on disk (the current one included): answers cite a version, and its
text can be read back while it is kept. Each version is a full copy of the index."""


def check_version_name(name: str) -> str:
    """Return ``name`` if it is a version name marja writes (``v000007``), else raise
    :class:`InvalidVersion`. Names come from users (``?version=``): nothing else reaches a path."""
    if len(name) > MAX_VERSION_NAME or not _VERSION.fullmatch(name):
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise InvalidVersion(f"invalid index version {shown!r}: expected 'v' and six digits, like v000007")
    return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file and directory under ``path`` to stable storage."""
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class IndexStore:
    """The versioned index directory of one data directory (a :class:`~index.version_store.VersionStore`)."""

    def __init__(self, root: Path, *, keep_versions: int = KEEP_VERSIONS) -> None:
        if keep_versions < 1:
            raise ValueError("keep_versions must be at least 1")
        self.root = root
        self.keep_versions = keep_versions
        self.versions = root / "versions"
        self._pointer = root / "CURRENT"
        self._lock = FileLock(str(root / "write.lock"))

    def describe(self) -> str:
        return f"the index in {self.root}"

    def ensure(self) -> None:
        self.versions.mkdir(parents=True, exist_ok=True)

    def current(self) -> str | None:
        """The published version's name, or None when nothing was ever published."""
        try:
            name = json.loads(self._pointer.read_text())["version"]
        except FileNotFoundError:
            return None
        return str(name)

    def pointer_stamp(self) -> tuple[int, int] | None:
        """A cheap fingerprint of ``CURRENT``, to notice another process's publish."""
        try:
            st = self._pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def published(self) -> list[str]:
        return [f"v{n:06d}" for n in self._numbers()]

    def stamp(self) -> tuple[int, int] | None:
        return self.pointer_stamp()

    def load(self, version: str, *, model_id: str, dim: int) -> Snapshot:
        return load_version(self.path_of(version), version=version, model_id=model_id, dim=dim)

    def open_catalog(self, version: str) -> CatalogReader:
        path = self.kept_path(version)
        try:
            return CatalogReader(path / CATALOG, pool_size=1)
        except sqlite3.Error as e:
            self.kept_path(version)  # raises VersionGone if it was pruned meanwhile
            raise VersionGone(f"index version {version} is no longer kept") from e

    def write(self, previous: Snapshot, changes: VersionChanges, *, progress: Progress = no_progress) -> str:
        tmp = self.new_version_dir()
        try:
            write_version(tmp, previous, changes, progress=progress)
            return self.publish(tmp)
        except BaseException:
            self.discard(tmp)
            raise

    def path_of(self, version: str) -> Path:
        return self.versions / version

    def kept_path(self, version: str) -> Path:
        """The directory of ``version`` if it is still kept.

        Raises :class:`InvalidVersion` for a malformed name, :class:`VersionGone` for a version
        that was published and has since been pruned, :class:`VersionNotFound` for one that never
        was. The directory can still be pruned right after this returns: readers open its files
        at once (an open file stays readable after it is deleted).
        """
        number = int(check_version_name(version)[1:])
        path = self.versions / version
        if path.is_dir():
            return path
        if 0 < number <= self._last_number():
            raise VersionGone(
                f"index version {version} is no longer kept: marja keeps the newest "
                f"{self.keep_versions} versions (MARJA_KEEP_VERSIONS); read the document without "
                "?version= for its current text"
            )
        raise VersionNotFound(f"there is no index version {version}")

    @contextlib.contextmanager
    def write_lock(self, *, timeout: float) -> Iterator[None]:
        """Serialise writers across threads and processes."""
        self.ensure()
        try:
            with self._lock.acquire(timeout=timeout):
                self._remove_stale_temporaries()
                yield
        except Timeout as e:
            logger.warning("gave up waiting %.0f s for the write lock %s", timeout, self._lock.lock_file)
            raise IndexBusy(
                f"another ingest is running (waited {timeout:.0f} s for the index write lock); try later"
            ) from e

    def new_version_dir(self) -> Path:
        path = self.versions / f".tmp-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def publish(self, tmp: Path) -> str:
        """Make the finished version in ``tmp`` the current one; returns its name."""
        fsync_tree(tmp)
        name = f"v{self._last_number() + 1:06d}"
        final = self.versions / name
        os.rename(tmp, final)
        _fsync_dir(self.versions)
        write_atomic(self._pointer, json.dumps({"version": name}).encode())
        logger.info("published index version %s", name)
        self._remove_old_versions(keep=name)
        return name

    def discard(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)

    def _numbers(self) -> list[int]:
        if not self.versions.exists():
            return []
        return sorted(int(m.group(1)) for p in self.versions.iterdir() if (m := _VERSION.fullmatch(p.name)))

    def _last_number(self) -> int:
        numbers = self._numbers()
        return numbers[-1] if numbers else 0

    def _remove_stale_temporaries(self) -> None:
        # Called with the write lock held: no other writer can own a temporary directory.
        for p in self.versions.glob(".tmp-*"):
            logger.warning("removing %s left by an interrupted ingest", p)
            shutil.rmtree(p, ignore_errors=True)

    def _remove_old_versions(self, *, keep: str) -> None:
        """Delete all but the newest versions. Readers that still have an old version open keep
        working: their files stay readable until closed (POSIX unlink semantics)."""
        numbers = self._numbers()
        for n in numbers[: -self.keep_versions]:
            name = f"v{n:06d}"
            if name != keep:
                shutil.rmtree(self.versions / name, ignore_errors=True)
