"""Every domain error marja raises on purpose, in one place.

The service maps them to HTTP responses at its edge (``service/errors.py``), nowhere else; the
CLI prints their message.
"""

from __future__ import annotations


class MarjaError(Exception):
    """Base of every error marja raises on purpose."""


# -- documents ---------------------------------------------------------------------------------


class InvalidDocument(MarjaError):
    """A document cannot be ingested: bad encoding, empty, too large, unsupported type..."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class UnsupportedDocument(InvalidDocument):
    """The file type has no loader."""


class DocumentTooLarge(InvalidDocument):
    """The file or text is over the configured size limit."""


class InvalidDocumentId(MarjaError):
    """A document id that is not a short slug (letters, digits, ``.``, ``_``, ``-``)."""


# -- the index -----------------------------------------------------------------------------


class DocumentNotFound(MarjaError):
    def __init__(self, doc_id: str, *, version: str | None = None) -> None:
        self.doc_id = doc_id
        self.version = version
        where = f" in index version {version}" if version else ""
        super().__init__(f"no document with id {doc_id!r}{where}")


class InvalidVersion(MarjaError):
    """A version name that is not one marja writes (``v`` and six or more digits)."""


class VersionNotFound(MarjaError):
    """An index version that never existed."""


class VersionGone(MarjaError):
    """An index version that existed but has been pruned (only the newest few are kept)."""


class ModelMismatch(MarjaError):
    """The index on disk was built with another embedding model or text analysis."""


class ModelUnavailable(MarjaError):
    """The embedding model the settings name cannot be found or loaded."""


class IndexCorrupt(MarjaError):
    """A published index version cannot be read."""


class IndexUnavailable(MarjaError):
    """The engine that holds the index (a Milvus server) cannot be reached or refused a request."""


class IndexBusy(MarjaError):
    """Another ingest holds the write lock for longer than we were willing to wait."""


class InvalidQuery(MarjaError):
    """A question or filter that cannot be searched."""


class EmptyIndex(MarjaError):
    """Nothing has been ingested where something must be searched (``marja eval``)."""


class IngestCancelled(MarjaError):
    """The client that asked for an ingest went away before it was stored; nothing changed."""


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


# -- the service ---------------------------------------------------------------------------


class WritesDisabled(MarjaError):
    """A write was asked of a deployment that has no write key configured."""


class ApiKeyRequired(MarjaError):
    """The request needs an API key and presents none, or one that is not configured."""


class WidgetKeyInvalid(MarjaError):
    """The request presents a widget key that is not configured."""


class WidgetOriginNotAllowed(MarjaError):
    """A valid widget key used from a page whose origin it is not bound to."""


class FeedbackStoreFull(MarjaError):
    """The feedback table holds its maximum number of rows."""


class FeedbackStoreFailed(MarjaError):
    """The feedback could not be written (disk full, read-only or damaged database)."""


# -- evaluation ----------------------------------------------------------------------------


class InvalidQuestionSet(MarjaError):
    """A question set file (``marja eval``) that cannot be read: the message names the row."""
