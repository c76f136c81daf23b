"""Sample files made at run time, for tests and benchmarks (no binary fixtures in the repo)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

ARABIC_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_pdf(
    pages: list[list[tuple[str, str]]], *, title: str | None = None, arabic_font: bool = True
) -> bytes:
    """A PDF with one list of (alignment, paragraph) per page, like a real report: Arabic set
    right-aligned with a shaping engine (contextual forms, lam-alef ligatures), paragraphs spaced.
    """
    pdf = FPDF()
    if arabic_font:
        pdf.add_font("dejavu", "", str(ARABIC_FONT))
        pdf.set_font("dejavu", size=11)
        pdf.set_text_shaping(True)
    else:
        pdf.set_font("helvetica", size=11)
    if title:
        pdf.set_title(title)
    for paragraphs in pages:
        pdf.add_page()
        for align, paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph, align=align, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    return bytes(pdf.output())
