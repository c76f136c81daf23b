"""Load the documents under folders (or named files), each recording the file it came from.

A :class:`FolderScan` is what a folder holds right now; compared with the origins recorded in
the index it also says which documents a sync removes (:meth:`FolderScan.stale`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.document import Document, Origin
from core.errors import InvalidDocument, MarjaError
from ingest.loaders import iter_source_files, load_file

logger = logging.getLogger(__name__)


@dataclass
class FolderScan:
    """The loadable files found under some folders and named files."""

    folders: list[PurePosixPath] = field(default_factory=list)
    """The folders scanned, absolute: a sync removes what came from under them and is gone."""
    documents: list[Document] = field(default_factory=list)
    """Every file that loaded, with its :class:`~core.document.Origin`."""
    failed: set[PurePosixPath] = field(default_factory=set)
    """Files found but not loaded: their documents already in the index are kept."""
    errors: list[str] = field(default_factory=list)
    """One message per file that could not be loaded, naming it."""

    def stale(self, origins: Mapping[str, Origin | None]) -> list[str]:
        """The indexed documents a sync of these folders removes, given where each came from.

        A document goes when it came from a file under a scanned folder and no file there
        yields it any more: the file was deleted or renamed, or now gives another document id.
        Documents from the API, from elsewhere, or of unknown origin are never removed; neither
        is one whose file is still there but failed to load this time.
        """
        upserted = {d.doc_id for d in self.documents}
        stale = []
        for doc_id, origin in sorted(origins.items()):
            if origin is None or doc_id in upserted:
                continue
            location = origin.location
            if location is None or location in self.failed:
                continue
            if any(location.is_relative_to(folder) for folder in self.folders):
                stale.append(doc_id)
        return stale


def _file_error(file: Path, error: Exception) -> str:
    """What went wrong with one file, naming it. ``KeyboardInterrupt`` is no ``Exception``: Ctrl-C
    still stops a scan."""
    if isinstance(error, InvalidDocument) and error.source:
        return str(error)
    if isinstance(error, MarjaError):
        return f"{file}: {error}"
    return f"{file}: could not be read ({type(error).__name__}: {error})"


def _absolute(path: Path) -> PurePosixPath:
    return PurePosixPath(path.resolve().as_posix())


def scan(paths: Sequence[Path], *, max_bytes: int) -> FolderScan:
    """Load every supported file under ``paths`` (folders, or files named directly).

    A path that does not exist, or two files that give the same document id (``a.md`` and
    ``a.txt``), raise :class:`InvalidDocument`; a file that cannot be loaded, whatever the reason,
    is reported in :attr:`FolderScan.errors` and the others are loaded. A file reached twice (a folder and a
    folder inside it) is loaded once.
    """
    for path in paths:
        if not path.exists():
            raise InvalidDocument("no such file or folder", source=str(path))
    result = FolderScan()
    seen: set[PurePosixPath] = set()
    files_of: dict[str, PurePosixPath] = {}  # doc id → the file that gave it
    for path in paths:
        if path.is_dir():
            folder = _absolute(path)
            result.folders.append(folder)
            files = [(file, file.relative_to(path).as_posix()) for file in iter_source_files([path])]
        else:
            folder = _absolute(path.parent)
            files = [(path, path.name)]
        for file, relative in files:
            location = folder / relative
            if location in seen:
                continue
            seen.add(location)
            try:
                document = load_file(file, max_bytes=max_bytes)
            except Exception as e:  # any failure is that file's: a loader bug must not cost the rest
                result.failed.add(location)
                result.errors.append(_file_error(file, e))
                if isinstance(e, MarjaError):
                    logger.error("%s", result.errors[-1])
                else:
                    logger.exception("%s", result.errors[-1])
                continue
            if (other := files_of.get(document.doc_id)) is not None:
                raise InvalidDocument(
                    f"{other} and {location} both give the document id {document.doc_id!r}: rename "
                    "one, or give it another doc_id in its front matter"
                )
            files_of[document.doc_id] = location
            origin = Origin.file(str(folder), relative)
            result.documents.append(dataclasses.replace(document, origin=origin))
    return result
