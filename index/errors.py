"""Errors of the index layer (see :mod:`ingest.errors` for the base class)."""

from __future__ import annotations

from ingest.errors import MarjaError


class DocumentNotFound(MarjaError):
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"no document with id {doc_id!r}")


class ModelMismatch(MarjaError):
    """The index on disk was built with another embedding model or text analysis."""


class IndexCorrupt(MarjaError):
    """A published index version cannot be read."""


class IndexBusy(MarjaError):
    """Another ingest holds the write lock for longer than we were willing to wait."""


class InvalidQuery(MarjaError):
    """A question or filter that cannot be searched."""


class DocumentExists(MarjaError):
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"a document with id {doc_id!r} exists already; use PUT to replace it")


class IndexWriteFailed(MarjaError):
    """The new index version could not be written (disk full, read-only data directory...).

    The previous version stays current and keeps serving.
    """

    def __init__(self, message: str, *, disk_full: bool = False) -> None:
        self.disk_full = disk_full
        super().__init__(message)
