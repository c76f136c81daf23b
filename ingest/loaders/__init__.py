"""Turn files (or posted text) into :class:`~core.document.Document` records.

One module per format; :data:`LOADERS` maps file suffixes to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from core.document import NO_OVERRIDES, Document, DocumentOverrides, slugify, validate_doc_id
from core.errors import DocumentTooLarge, InvalidDocument, UnsupportedDocument
from ingest.blocks import first_heading
from ingest.loaders.base import LoadedText, check_size
from ingest.loaders.docx import load_docx_bytes
from ingest.loaders.html import load_html_bytes
from ingest.loaders.pdf import load_pdf_bytes
from ingest.loaders.text import load_text_bytes
from text.cleaning import clean_text
from text.language import UNDETERMINED, detect_language

logger = logging.getLogger(__name__)

Loader = Callable[..., LoadedText]

LOADERS: dict[str, Loader] = {
    ".md": load_text_bytes,
    ".markdown": load_text_bytes,
    ".txt": load_text_bytes,
    ".text": load_text_bytes,
    ".html": load_html_bytes,
    ".htm": load_html_bytes,
    ".pdf": load_pdf_bytes,
    ".docx": load_docx_bytes,
}

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def supported_suffixes() -> list[str]:
    return sorted(LOADERS)


def _first_line_title(text: str) -> str:
    if heading := first_heading(text):
        return heading
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


_STATED = {
    "doc_id": ("doc_id",),
    "title": ("title",),
    "lang": ("language", "lang"),
    "kind": ("kind",),
    "source_url": ("source_url", "url"),
}
"""Front matter and file properties that state a document field (the first present wins)."""


def _stated(meta: dict[str, Any]) -> DocumentOverrides:
    """The document fields a file states about itself, taken out of its metadata."""
    values: dict[str, str | None] = {}
    for name, keys in _STATED.items():
        found = [meta.pop(key, None) for key in keys]
        value = next((v for v in found if v is not None and v != ""), None)
        values[name] = None if value is None else str(value)
    return DocumentOverrides(**values)


def build_document(
    loaded: LoadedText,
    *,
    source: str,
    given: DocumentOverrides = NO_OVERRIDES,
    kept: DocumentOverrides = NO_OVERRIDES,
) -> Document:
    """A Document from a loader's text and metadata.

    Each field comes from, in order: ``given`` (what the caller says), what the file states
    (front matter, document properties), ``kept`` (the stored document's, on a replacement), and
    else the text: the id from ``source``'s name, the title from the first heading or line, the
    language detected, the kind ``source``.
    """
    meta: dict[str, Any] = dict(loaded.metadata)
    if not loaded.text.strip():
        raise InvalidDocument("the document has no text", source=source)
    chosen = given.over(_stated(meta)).over(kept)
    doc_id = chosen.doc_id or slugify(Path(source).stem)
    lang = chosen.lang
    if not lang:
        lang = detect_language(loaded.text[:4000])
        if lang == UNDETERMINED:
            raise InvalidDocument("the document has no words to index", source=source)
    return Document(
        doc_id=validate_doc_id(doc_id),
        title=chosen.title or _first_line_title(loaded.text) or doc_id,
        text=loaded.text,
        lang=lang,
        kind=chosen.kind or "source",
        source_url=chosen.source_url or None,
        metadata=meta,
        pages=loaded.pages,
    )


def load_bytes(
    data: bytes,
    *,
    filename: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    given: DocumentOverrides = NO_OVERRIDES,
    kept: DocumentOverrides = NO_OVERRIDES,
) -> Document:
    """Load an uploaded or read file by its name's suffix (see :func:`build_document`)."""
    suffix = Path(filename).suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:
        raise UnsupportedDocument(
            f"unsupported file type {suffix or '(none)'!r}; supported: " + ", ".join(supported_suffixes()),
            source=filename,
        )
    check_size(data, source=filename, max_bytes=max_bytes)
    return build_document(loader(data, source=filename), source=filename, given=given, kept=kept)


def load_text(
    text: str,
    *,
    given: DocumentOverrides = NO_OVERRIDES,
    kept: DocumentOverrides = NO_OVERRIDES,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """A document from posted text (no file), cleaned like a file's text; its id defaults to the
    slug of its title (given, kept, or else its first line)."""
    text = clean_text(text)
    if len(text.encode("utf-8")) > max_bytes:
        raise DocumentTooLarge(f"the text is over the limit of {max_bytes:,} bytes")
    title = given.title or kept.title or _first_line_title(text)
    doc_id = validate_doc_id(given.doc_id or slugify(title))
    return build_document(
        LoadedText(text=text),
        source=doc_id,
        given=DocumentOverrides(doc_id=doc_id).over(given),
        kept=kept,
    )


def load_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Load one file; raises :class:`InvalidDocument` (naming the file) when it cannot."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise InvalidDocument(f"cannot read: {e.strerror}", source=str(path)) from e
    if size > max_bytes:
        raise DocumentTooLarge(f"{size:,} bytes is over the limit of {max_bytes:,} bytes", source=str(path))
    with path.open("rb") as f:
        data = f.read(max_bytes + 1)
    return load_bytes(data, filename=str(path), max_bytes=max_bytes)


def iter_source_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and every supported file under named folders (sorted, no dotfiles)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if child.is_file() and child.suffix.lower() in LOADERS:
                    yield child
                elif child.is_file():
                    logger.info("skipping %s: unsupported file type", child)
        else:
            yield path
