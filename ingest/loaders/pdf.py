"""PDF: the text layer, page by page, read with PDFium (``pypdfium2``).

PDFium is fast (100 pages in about a second) and gives each character's glyph geometry, but its
own reading order is not trusted: its simplified bidi pass reverses the order of consecutive
Latin words inside an Arabic line ("early warning" → "warning early"), reverses the letters of
a ligature ("الاجتماع" → "االجتماع"), leaves words drawn with presentation forms backwards and
breaks lines at vowel marks. pdfminer/pdfplumber return Arabic in visual order (letters
reversed) and are some twenty times slower. So lines are rebuilt here from the geometry:

* characters drawn by one glyph (same origin: a ligature, a letter with its marks) stay
  together, in logical order; vowel marks drawn on their own join the letter beneath them;
* glyphs on one baseline, in content order, form a line, sorted by pen position (visual order);
* spaces come from the space characters drawn (moved into the nearest real gap when a producer
  puts them on a letter) and from gaps as wide as the line's drawn spaces;
* the line goes from visual to logical order with the Unicode bidi levels and rule L2 (see
  :func:`_visual_to_logical`); then presentation forms become letters and the text is NFC.

Lines are joined into paragraphs by their geometry: a wider vertical gap starts a paragraph (a
blank line, so the chunker sees it), a line that spans the text width continues on the next
one (joined with a space), and a shorter line ends where it ends. Pages are separated by a
blank line and :attr:`LoadedText.pages` records the offset where each page's text starts.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import logging
import re
import statistics
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidDocument
from ingest.blocks import LIST_MARKER
from ingest.loaders.base import LoadedText
from ingest.loaders.bidi import bidi_type, is_rtl, mostly_rtl, paragraph_is_rtl, visual_to_logical
from text.cleaning import clean_text
from text.script import LATIN_LETTER

logger = logging.getLogger(__name__)

MAX_PAGES = 2000
TIME_LIMIT_S = 60.0

SCANNED_MESSAGE = "no text layer (scanned PDF?); run OCR first"

# PDFium is not thread-safe: one document at a time in this process.
_PDFIUM_LOCK = threading.Lock()

# Arabic presentation forms and Latin ligatures: fonts without a proper ToUnicode map leak them.
_PRESENTATION_FORM = re.compile(r"[\ufb00-\ufb06\ufb50-\ufdff\ufe70-\ufefc]")
_LIST_MARKER = re.compile(rf"^{LIST_MARKER}\s")
_SOFT_HYPHENS = ("\x02", "\u00ad")
_SAME_LINE = 0.5  # glyphs whose baselines differ by less than this many font sizes share a line
_WORD_GAP = 0.25  # a gap this many font sizes wide between glyphs is a space...
_UNDRAWN_SPACE = 0.6  # ...or, where the script changes, this fraction of the drawn spaces' median width
_MIN_SPACE_GAP = 0.22  # the narrowest gap a misplaced space goes to (alef's own gap is ~0.19 em)
_EPSILON = 0.05


@dataclass(frozen=True)
class _Line:
    text: str
    left: float = 0.0
    bottom: float = 0.0
    right: float = 0.0
    top: float = 0.0
    has_box: bool = False

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass
class _Glyph:
    """One glyph on the page: its characters in logical order and where it sits."""

    text: str
    left: float
    right: float
    x: float  # origin (pen position)
    y: float  # baseline
    size: float
    index: int  # first PDFium character index: content order
    kind: str  # "glyph", "mark" or "space"

    @property
    def center(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class _RawLine:
    y: float
    size: float
    glyphs: list[_Glyph]


def _import_pdfium() -> tuple[Any, Any]:
    try:
        import pypdfium2
        import pypdfium2.raw
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ImportError("reading PDF files needs pypdfium2: pip install 'pypdfium2>=5.0'") from e
    return pypdfium2, pypdfium2.raw


def _read_glyphs(textpage: Any, raw: Any) -> list[_Glyph]:
    """The page's glyphs. PDFium's own character order is not used beyond content order: its
    bidi pass reverses runs of Latin words inside Arabic lines and splits lines at vowel marks.
    Characters that share one origin were drawn by one glyph (a ligature, or a cluster of a
    letter and its marks) and are kept together, in logical order.
    """
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    box_args = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    origin_args = (ctypes.byref(ox), ctypes.byref(oy))
    get_box, get_origin = raw.FPDFText_GetCharBox, raw.FPDFText_GetCharOrigin
    get_size, is_generated = raw.FPDFText_GetFontSize, raw.FPDFText_IsGenerated
    handle = textpage.raw
    count = textpage.count_chars()
    text = textpage.get_text_range() if count > 0 else ""
    if len(text) != count:  # rare: the text and character lists disagree; read one by one
        text = "".join(chr(raw.FPDFText_GetUnicode(handle, i)) for i in range(count))
    groups: dict[tuple[float, float], list[tuple[int, str, float, float, float, float]]] = {}
    spaces: list[_Glyph] = []
    for i, ch in enumerate(text):
        if ch in _SOFT_HYPHENS or ch.isspace():
            if is_generated(handle, i) == 1:
                continue  # PDFium's made-up spaces sit at its own line ends, often inside a word
            ch = "\u00ad" if ch in _SOFT_HYPHENS else " "
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn") or ch == "\ufffe":
            continue  # bidi controls, joiners, unmapped codes
        get_box(handle, i, *box_args)
        get_origin(handle, i, *origin_args)
        size = get_size(handle, i)
        if ch == " ":
            spaces.append(_Glyph(" ", left.value, right.value, ox.value, oy.value, size, i, "space"))
            continue
        key = (round(ox.value, 2), round(oy.value, 2))
        groups.setdefault(key, []).append((i, ch, left.value, right.value, size, oy.value))

    glyphs = spaces
    for (x, y), chars in groups.items():
        if len(chars) == 1:  # the usual case, kept fast
            i, ch, c_left, c_right, size, _ = chars[0]
            kind = "mark" if unicodedata.category(ch) in ("Mn", "Me") else "glyph"
            glyphs.append(_Glyph(ch, c_left, c_right, x, y, size, i, kind))
            continue
        chars.sort(key=lambda c: ((c[2] + c[3]) / 2, c[0]))
        text = "".join(c[1] for c in chars)
        if any(is_rtl(c) for c in text) and not LATIN_LETTER.search(text):
            text = text[::-1]  # PDFium lays a right-to-left glyph's characters out right to left
        kind = "mark" if all(unicodedata.category(c) in ("Mn", "Me") for c in text) else "glyph"
        glyphs.append(
            _Glyph(
                text,
                min(c[2] for c in chars),
                max(c[3] for c in chars),
                x,
                y,
                max(c[4] for c in chars),
                chars[0][0],
                kind,
            )
        )
    glyphs.sort(key=lambda g: g.index)
    return glyphs


def _group_lines(glyphs: list[_Glyph]) -> list[_RawLine]:
    """Consecutive glyphs on one baseline form a line; marks then join the letter they sit on."""
    lines: list[_RawLine] = []
    marks: list[_Glyph] = []
    for glyph in glyphs:
        if glyph.kind == "mark":
            marks.append(glyph)
            continue
        line = lines[-1] if lines else None
        if line is not None and abs(glyph.y - line.y) <= _SAME_LINE * max(glyph.size, line.size, 1.0):
            line.glyphs.append(glyph)
            line.size = max(line.size, glyph.size) if glyph.kind == "glyph" else line.size
        elif glyph.kind == "glyph":
            lines.append(_RawLine(glyph.y, glyph.size, [glyph]))
    for line in lines:
        line.glyphs.sort(key=lambda g: (g.x, g.index))  # pen positions: visual order
    if marks and lines:
        _attach_marks(marks, lines)
    return lines


def _attach_marks(marks: list[_Glyph], lines: list[_RawLine]) -> None:
    """Join each vowel mark to the letter it sits on, or keep it as a glyph of the nearest line.

    Lines are looked up by baseline (sorted, bisected) and glyphs by pen position, so a page of
    many marks and many lines costs O(marks x log) rather than O(marks x lines x glyphs).
    """
    by_y = sorted(range(len(lines)), key=lambda i: lines[i].y)
    ys = [lines[i].y for i in by_y]
    pens = [[g.x for g in line.glyphs] for line in lines]
    reach = 1.2 * max(max(line.size for line in lines), 1.0)
    for mark in marks:
        window = max(reach, 1.2 * mark.size)
        best: tuple[float, _Glyph] | None = None
        for i in by_y[bisect.bisect_left(ys, mark.y - window) : bisect.bisect_right(ys, mark.y + window)]:
            line = lines[i]
            if abs(mark.y - line.y) > 1.2 * max(mark.size, line.size, 1.0):
                continue
            at = bisect.bisect_left(pens[i], mark.center)
            for glyph in line.glyphs[max(at - 3, 0) : at + 3]:
                if glyph.kind != "glyph":
                    continue
                distance = (
                    max(glyph.left - mark.center, mark.center - glyph.right, 0.0) + abs(mark.y - line.y) / 100
                )
                if best is None or distance < best[0]:
                    best = (distance, glyph)
        if best is not None and best[0] <= mark.size:
            best[1].text += mark.text
            continue
        # A mark on its own: keep it as a glyph of the nearest line.
        at = bisect.bisect_left(ys, mark.y)
        nearest = min(by_y[max(at - 1, 0) : at + 1], key=lambda i: (abs(lines[i].y - mark.y), i))
        mark.kind = "glyph"
        glyphs = lines[nearest].glyphs
        place = bisect.bisect_right(glyphs, (mark.x, mark.index), key=lambda g: (g.x, g.index))
        glyphs.insert(place, mark)
        pens[nearest].insert(place, mark.x)


def _space_gaps(glyphs: list[_Glyph], spaces: list[_Glyph], size: float) -> set[int]:
    """Which gaps (gap ``k`` follows ``glyphs[k]``) hold a drawn space character.

    A space lies in the gap it was drawn in, except in some PDFs (Chromium's, for right-to-left
    text) where its position is that of a neighbouring letter: then it goes to the nearest gap
    at least ``_MIN_SPACE_GAP`` wide.
    """
    gaps: set[int] = set()
    bounds = [(a.right, b.left) for a, b in itertools.pairwise(glyphs)]
    wide = [k for k, (start, end) in enumerate(bounds) if end - start >= _MIN_SPACE_GAP * size]
    wide_starts = [bounds[k][0] for k in wide]
    pens = [g.x for g in glyphs]
    for space in spaces:
        x = space.x
        if not bounds or x <= glyphs[0].left or x >= glyphs[-1].right:
            continue
        k = bisect.bisect_right(pens, x) - 1
        if 0 <= k < len(bounds) and bounds[k][0] - _EPSILON <= x <= bounds[k][1] + _EPSILON:
            gaps.add(k)
        elif wide:
            # The nearest wide gap: gaps run left to right, so it is next to where x falls.
            at = bisect.bisect_right(wide_starts, x)
            near = wide[max(at - 2, 0) : at + 2]
            gaps.add(min(near, key=lambda j: max(bounds[j][0] - x, x - bounds[j][1], 0.0)))
    return gaps


def _line_text(line: _RawLine, page_rtl: bool) -> str:
    glyphs = [g for g in line.glyphs if g.kind != "space"]
    spaces = [g for g in line.glyphs if g.kind == "space"]
    space_after = _space_gaps(glyphs, spaces, line.size)
    # Gaps without a space character. TeX draws no spaces at all: there every gap a quarter em
    # wide is one. Chromium draws none where the script changes, and fpdf2 misplaces those in
    # Latin words inside an Arabic line: between letters of which one is Latin, or between
    # Arabic and digits, a gap nearly as wide as the line's drawn spaces is one. Gaps between
    # digits or Arabic letters are not trusted (a thin "١", an alef have wide side bearings).
    drawn = [glyphs[k + 1].left - glyphs[k].right for k in space_after]
    undrawn_gap = max(_UNDRAWN_SPACE * statistics.median(drawn), _MIN_SPACE_GAP * line.size) if drawn else 0.0
    types = [bidi_type(g.text) for g in glyphs]
    units: list[str] = []
    for k, glyph in enumerate(glyphs):
        if k:
            gap = glyph.left - glyphs[k - 1].right
            if not spaces:
                space = gap > _WORD_GAP * line.size
            elif k - 1 in space_after:
                space = True
            else:
                pair = {types[k - 1], types[k]}
                space = (
                    bool(drawn)
                    and pair <= {"L", "R", "N"}
                    and pair not in ({"R"}, {"N"})
                    and gap >= undrawn_gap
                )
            if space:
                units.append(" ")
        units.append(glyph.text)
    return "".join(visual_to_logical(units, paragraph_is_rtl("".join(units), page_rtl)))


def _page_lines(textpage: Any, raw: Any) -> list[_Line]:
    """The lines of one page in content order, in logical order, with their boxes."""
    raw_lines = _group_lines(_read_glyphs(textpage, raw))
    letters = "".join(g.text for line in raw_lines for g in line.glyphs)
    page_rtl = mostly_rtl(letters)
    lines = []
    for line in raw_lines:
        text = _line_text(line, page_rtl)
        if not text:
            continue
        inked = [g for g in line.glyphs if g.kind == "glyph"]
        lines.append(
            _Line(
                text,
                left=min(g.left for g in inked),
                bottom=line.y - 0.25 * line.size,
                right=max(g.right for g in inked),
                top=line.y + 0.75 * line.size,
                has_box=True,
            )
        )
    return lines


def _normalize(text: str) -> str:
    """Presentation forms to letters (NFKC on those alone), then NFC: marks in canonical order."""
    text = _PRESENTATION_FORM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFC", text)


def _join_lines(lines: list[_Line]) -> str:
    """Join a page's lines into paragraphs (see the module docstring)."""
    lines = [line for line in lines if line.text.strip()]
    if not lines:
        return ""
    boxed = [line for line in lines if line.has_box]
    margin_left = margin_right = tolerance = height = usual_gap = 0.0
    if boxed:
        margin_left = min(line.left for line in boxed)
        margin_right = max(line.right for line in boxed)
        tolerance = 0.12 * (margin_right - margin_left)
        height = statistics.median(line.height for line in boxed)
        gaps = [
            a.bottom - b.top
            for a, b in itertools.pairwise(lines)
            if a.has_box and b.has_box and a.bottom - b.top > -0.5 * height
        ]
        usual_gap = statistics.median(gaps) if gaps else 0.0

    parts = [lines[0].text.strip()]
    for prev, line in itertools.pairwise(lines):
        text = line.text.strip()
        prev_text = parts[-1]
        if not (prev.has_box and line.has_box):
            sep = "\n"
        elif (gap := prev.bottom - line.top) > usual_gap + 0.6 * height or gap < -0.5 * height:
            sep = "\n\n"  # a wider gap, or a jump up (a new column): a new paragraph
        elif _LIST_MARKER.match(text):
            sep = "\n"
        elif prev.left <= margin_left + tolerance and prev.right >= margin_right - tolerance:
            sep = " "  # the line spans the text width: its sentence wraps onto the next line
            if prev_text.endswith(_SOFT_HYPHENS):
                parts[-1], sep = prev_text[:-1], ""
            elif prev_text.endswith("-") and text[:1].islower():
                sep = ""
        else:
            sep = "\n"
        parts.append(sep)
        parts.append(text)
    return "".join(parts)


def _title(metadata: dict[str, str]) -> str | None:
    """The document-information title, unless it is a leftover file name."""
    title = (metadata.get("Title") or "").strip()
    if not title or re.search(r"\.(?:docx?|pdf|rtf|odt|indd|tex)$", title, re.IGNORECASE):
        return None
    if re.match(r"^(?:Microsoft Word|untitled)\b", title, re.IGNORECASE):
        return None
    return title


def _open(pdfium: Any, data: bytes, source: str) -> Any:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        detail = str(e)
        if b"%PDF-" not in data[:1024]:
            message = "not a PDF file (no %PDF- header)"
        elif "password" in detail.lower():
            message = "the PDF is encrypted (password protected); remove the password and ingest it again"
        else:
            reason = m.group(1) if (m := re.search(r"\((PDFium: [^)]*)\)", detail)) else detail
            message = f"the PDF is damaged and cannot be read ({reason})"
        raise InvalidDocument(message, source=source) from e


def load_pdf_bytes(
    data: bytes, *, source: str, max_pages: int = MAX_PAGES, time_limit: float = TIME_LIMIT_S
) -> LoadedText:
    """Extract the text layer of a PDF with page offsets.

    Raises :class:`InvalidDocument` for a file that is not a PDF, is encrypted or damaged, has
    more than ``max_pages`` pages, takes longer than ``time_limit`` seconds (checked between
    pages), or has no text layer at all (a scan).
    """
    pdfium, raw = _import_pdfium()
    started = time.monotonic()
    with _PDFIUM_LOCK:
        document = _open(pdfium, data, source)
        try:
            n_pages = len(document)
            if n_pages == 0:
                raise InvalidDocument("the PDF has no pages", source=source)
            if n_pages > max_pages:
                raise InvalidDocument(
                    f"{n_pages:,} pages is over the limit of {max_pages:,} pages", source=source
                )
            page_texts = []
            for number in range(n_pages):
                if time.monotonic() - started > time_limit:
                    raise InvalidDocument(
                        f"gave up reading the PDF after {time_limit:g} s (at page {number + 1} "
                        f"of {n_pages}); it may be malformed",
                        source=source,
                    )
                page = document[number]
                textpage = page.get_textpage()
                try:
                    lines = _page_lines(textpage, raw)
                finally:
                    textpage.close()
                    page.close()
                page_texts.append(_normalize(clean_text(_join_lines(lines))).strip())
            metadata: dict[str, Any] = {}
            if title := _title(document.get_metadata_dict()):
                metadata["title"] = title
        finally:
            document.close()

    if not any(any(c.isalnum() for c in text) for text in page_texts):
        raise InvalidDocument(SCANNED_MESSAGE, source=source)
    if empty := [i + 1 for i, text in enumerate(page_texts) if not text]:
        logger.warning("%s: pages without text (scanned?): %s", source, empty[:20])

    pages: list[int] = []
    text = ""
    for page_text in page_texts:
        if pages:
            text += "\n\n"
        pages.append(len(text))
        text += page_text
    logger.debug(
        "%s: %d pages, %d characters in %.2f s", source, n_pages, len(text), time.monotonic() - started
    )
    return LoadedText(text=text + "\n", metadata=metadata, pages=tuple(pages))
