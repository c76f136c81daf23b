"""Domain errors. The service maps them to HTTP responses at its edge, nowhere else."""

from __future__ import annotations


class MarjaError(Exception):
    """Base of every error marja raises on purpose."""


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
