"""DOCX: the body of a Word document as Markdown-ish text, read with ``python-docx``.

Headings (styles "Title", "Heading 1".."Heading 9") become ``#`` lines, list paragraphs
(numbered, or a "List ..." style) become ``- `` items, and each table row becomes one line of
cells separated by `` | ``. Page headers, footers, comments and footnotes are left out. A docx
is a zip file, so its members' sizes are checked before anything is decompressed.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from core.errors import InvalidDocument
from ingest.loaders.base import LoadedText
from text.cleaning import clean_text

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_MEMBERS = 10_000
_RATIO_CHECK_FLOOR = 1024 * 1024  # tiny members compress very well and harm no one

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _import_docx() -> Any:
    try:
        import docx
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ImportError("reading DOCX files needs python-docx: pip install 'python-docx>=1.1'") from e
    return docx


def check_zip(data: bytes, *, source: str) -> None:
    """Refuse a zip that is not one, or that would decompress to far more than it weighs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise InvalidDocument(f"not a valid .docx file (not a zip archive: {e})", source=source) from e
    if len(members) > MAX_MEMBERS:
        raise InvalidDocument(f"not a valid .docx file ({len(members):,} zip members)", source=source)
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InvalidDocument(
            f"the .docx would decompress to {total:,} bytes, over the limit of {MAX_UNCOMPRESSED_BYTES:,} "
            "(a zip bomb?)",
            source=source,
        )
    for m in members:
        if m.file_size > _RATIO_CHECK_FLOOR and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1):
            raise InvalidDocument(
                f"zip member {m.filename!r} is compressed {m.file_size // max(m.compress_size, 1):,} to 1, "
                f"over the limit of {MAX_COMPRESSION_RATIO} to 1 (a zip bomb?)",
                source=source,
            )


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError):  # a style id the styles part does not define
        return ""
    return (style.name or "") if style is not None else ""


def _is_list(paragraph: Any, style: str) -> bool:
    ppr = paragraph._p.pPr
    return (ppr is not None and ppr.numPr is not None) or style.lower().startswith("list")


_RUN_CONTENT = frozenset(f"{_W}{tag}" for tag in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))


def _paragraph_text(p: Any) -> str:
    """The text of a ``w:p`` element, as python-docx's ``Paragraph.text`` gives it.

    Read by walking children: python-docx selects them with XPath unions, which libxml2 merges
    in quadratic time (a paragraph of 16,000 tabs took 0.7 s, 8x more of them 27x as long).
    Each run's content element converts itself (a tab to "\t", a line break to "\n"...).
    """
    parts: list[str] = []
    for child in p.iterchildren(f"{_W}r", f"{_W}hyperlink"):
        runs = (child,) if child.tag == f"{_W}r" else child.iterchildren(f"{_W}r")
        for run in runs:
            parts.extend(str(item) for item in run.iterchildren() if item.tag in _RUN_CONTENT)
    return "".join(parts)


def _paragraph_line(paragraph: Any) -> tuple[str, str]:
    """(kind, line) of one paragraph: kind is "heading", "item" or "paragraph"."""
    text = " ".join(_paragraph_text(paragraph._p).split())
    if not text:
        return "paragraph", ""
    style = _style_name(paragraph)
    if style.lower() == "title":
        return "heading", "# " + text
    if m := _HEADING_STYLE.match(style):
        return "heading", "#" * min(int(m.group(1)), 6) + " " + text
    if _is_list(paragraph, style):
        return "item", "- " + text
    return "paragraph", text


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is repeated once per grid column it spans
                continue
            previous = cell._tc
            cell_text = "\n".join(_paragraph_text(p) for p in cell._tc.iterchildren(f"{_W}p"))
            if text := " ".join(cell_text.split()):
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def _blocks(document: Any, container: Any) -> Iterator[tuple[str, str]]:
    """(kind, text) of the body's paragraphs and tables in order, content controls included."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            kind, line = _paragraph_line(Paragraph(child, document))
            if line:
                yield kind, line
        elif child.tag == f"{_W}tbl":
            for row in _table_rows(Table(child, document)):
                yield "row", row
            yield "end", ""
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(document, content)


def _join(blocks: Iterator[tuple[str, str]]) -> str:
    """Items of one list and rows of one table are separated by a newline, other blocks by a blank line."""
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if kind == "end":
            previous = ""
            continue
        if out:
            out.append("\n" if kind == previous and kind in ("item", "row") else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)


def load_docx_bytes(data: bytes, *, source: str) -> LoadedText:
    """Text of a .docx body with its structure; the core-properties title as metadata."""
    docx = _import_docx()
    check_zip(data, source=source)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document, document.element.body))
        text = _join(iter(blocks))
        title = _core_title(document)
    except InvalidDocument:
        raise
    except Exception as e:  # python-docx raises many types for a broken package (KeyError, ValueError...)
        logger.debug("%s: python-docx failed", source, exc_info=True)
        raise InvalidDocument(f"not a valid .docx file ({type(e).__name__}: {e})", source=source) from e
    if not title:  # no core properties, or no title in them: the first heading, else the file's name
        heading = next((line.lstrip("#").strip() for kind, line in blocks if kind == "heading"), "")
        title = heading[:MAX_TITLE_CHARS] or PurePath(source).stem
    return LoadedText(text=clean_text(text) + "\n", metadata={"title": title})


def _core_title(document: Any) -> str:
    """The title in the package's core properties; empty when it has none. python-docx makes up
    default properties (titled "Word Document") for a package without them."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    package = document.part.package
    if not any(rel.reltype == RT.CORE_PROPERTIES for rel in package.rels.values()):
        return ""
    return str(document.core_properties.title or "").strip()
