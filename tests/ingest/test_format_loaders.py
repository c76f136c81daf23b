"""HTML, PDF and DOCX loaders. Every file is generated here, at test time: no binary fixtures."""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
import zipfile

import docx
import pytest
from fpdf import FPDF
from PIL import Image

import ingest.loaders.docx as docx_loader
import ingest.loaders.pdf as pdf_loader
from core.document import Document
from core.errors import InvalidDocument
from harness.samples import ARABIC_FONT, make_pdf
from ingest.chunking import chunk_document
from ingest.loaders import load_bytes, supported_suffixes

needs_arabic_font = pytest.mark.skipif(
    not ARABIC_FONT.exists(),
    reason=f"{ARABIC_FONT} (Debian package fonts-dejavu-core) is missing: cannot make an Arabic PDF",
)

AR_SENTENCE = "عقد الاجتماع الخامس في جيبوتي"
AR_PARAGRAPH = (
    "عقد الاجتماع الخامس في جيبوتي عام 2019 بحضور ممثلين عن الأمم المتحدة والاتحاد الأفريقي "
    "والهيئة الحكومية الدولية للتنمية. وناقش المشاركون سبل تعزيز التعاون في مجال الوساطة ومنع "
    "النزاعات في القرن الأفريقي، وأكدوا على أهمية الإنذار المبكر والدبلوماسية الوقائية."
)
AR_PAGE_2 = (
    "وفي الجلسة الثانية استعرض الخبراء تجارب الإسلام والسلام في المنطقة، وقدمت الأمانة العامة "
    "تقريرا عن أنشطة الاتصال مع المجتمع المدني خلال السنوات الثلاث الماضية، مع توصيات عملية "
    "لتعزيز دور المرأة والشباب في عمليات السلام."
)
# English words, numbers and brackets inside an Arabic line (PDFium alone gives "warning early").
AR_MIXED = "قال ممثل IGAD في 12 آذار (مارس) 2024 إن الـ early warning system أولوية، وإلى اللقاء في ١٤٤٥ هـ."
AR_VOCALIZED = "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ، قالَ الأمينُ العامُّ: لا سلامَ بلا عدالةٍ."
EN_PAGE_1 = (
    "The fifth meeting was held in Djibouti in 2019 with representatives of the United Nations, "
    "the African Union and IGAD. Participants discussed mediation support and conflict prevention "
    "in the Horn of Africa and agreed on a joint plan."
)
EN_PAGE_3 = (
    "Annex on the Nairobi workshop of 2021: mediators from eleven countries reviewed early-warning "
    "systems, the role of regional secretariats, and the funding of standby teams of experts that "
    "can be deployed within days of a crisis."
)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _chunk_with(document: Document, needle: str) -> int | None:
    """The page of the chunk whose text contains ``needle``."""
    pages = [c.page for c in chunk_document(document) if needle in c.text]
    assert pages, f"no chunk contains {needle!r}"
    return pages[0]


# --- HTML ----------------------------------------------------------------------------------------

ARABIC_PAGE = """<!DOCTYPE html>
<html lang="ar-EG" dir="rtl"><head><meta charset="utf-8">
<title>الاجتماع الخامس | موقع الأخبار</title>
<meta property="og:title" content="الاجتماع الخامس للمنظمات الإقليمية">
<link rel="canonical" href="https://example.org/ar/meeting-5">
<script>var tracking = "SCRIPT_CHROME";</script><style>.x { color: red }</style>
</head><body>
<header><div class="logo">شعار الموقع HEADER_CHROME</div></header>
<nav><ul><li><a href="/">الرئيسية NAV_CHROME</a></li><li><a href="/news">الأخبار NAV_CHROME</a></li></ul></nav>
<div id="cookie-banner" class="cookie-consent">نستخدم ملفات تعريف الارتباط COOKIE_CHROME <button>موافق</button></div>
<main><article>
<h1>الاجتماع الخامس للمنظمات الإقليمية</h1>
<p>عقد الاجتماع الخامس في جيبوتي عام 2019 بحضور ممثلين عن الأمم المتحدة والاتحاد الأفريقي والهيئة
الحكومية الدولية للتنمية. وناقش المشاركون سبل تعزيز التعاون في مجال الوساطة ومنع النزاعات.</p>
<h2>أبرز النتائج</h2>
<ul><li>الاتفاق على خطة عمل مشتركة للوساطة للسنوات الثلاث القادمة.</li>
<li>إنشاء فريق اتصال دائم بين الأمانات العامة للمنظمات.</li>
<li>تنظيم دورات تدريبية <b>سنوية</b> للوسطاء من المنطقة.</li></ul>
<p>وأكد البيان الختامي أهمية الشراكة بين المنظمات الإقليمية والأمم المتحدة في تحقيق السلام.</p>
</article></main>
<aside>مقالات ذات صلة ASIDE_CHROME</aside>
<footer>جميع الحقوق محفوظة FOOTER_CHROME ٢٠٢٥</footer>
<script>console.log("SCRIPT_CHROME")</script>
</body></html>"""

ENGLISH_PAGE = """<html lang="en-US"><head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Nairobi workshop on mediation support</title>
<meta property="og:url" content="https://example.org/en/nairobi-workshop">
<script type="text/javascript">window.dataLayer = ["SCRIPT_CHROME"];</script>
</head><body>
<div class="site-header"><a href="/">Home</a> | <a href="/about">About</a> HEADER_CHROME</div>
<nav class="menu"><a href="/events">Events NAV_CHROME</a> <a href="/contact">Contact NAV_CHROME</a></nav>
<div class="content">
<h1>Nairobi workshop on mediation support</h1>
<p>The workshop in Nairobi brought together mediators from eleven countries in the region. They
reviewed early-warning systems and the role of regional secretariats.</p>
<h2>Recommendations</h2>
<ol><li>Fund standby teams of mediation experts.</li><li>Share early-warning data between secretariats.</li></ol>
<h3>Caf\xe9 talks</h3>
<p>Informal caf\xe9 sessions continued the discussion on <i>women in peace processes</i> after the plenary.</p>
</div>
<div class="cookie-banner">We use cookies to improve your experience. COOKIE_CHROME <a href="#">Accept</a></div>
<footer><p>Copyright 2025 Example Organisation FOOTER_CHROME. All rights reserved.</p></footer>
</body></html>"""


def test_html_arabic_article_keeps_content_and_drops_the_chrome() -> None:
    d = load_bytes(ARABIC_PAGE.encode("utf-8"), filename="meeting-5.html")
    assert "CHROME" not in d.text and "tracking" not in d.text and "color" not in d.text
    lines = d.text.splitlines()
    assert "# الاجتماع الخامس للمنظمات الإقليمية" in lines
    assert "## أبرز النتائج" in lines
    assert "- الاتفاق على خطة عمل مشتركة للوساطة للسنوات الثلاث القادمة." in lines
    assert "- تنظيم دورات تدريبية سنوية للوسطاء من المنطقة." in lines  # no ** left around <b>
    assert AR_SENTENCE in d.text
    assert (d.title, d.lang, d.source_url) == (
        "الاجتماع الخامس للمنظمات الإقليمية",
        "ar",
        "https://example.org/ar/meeting-5",
    )
    chunks = chunk_document(d)
    items = [c for c in chunks if c.text.startswith(("الاتفاق", "إنشاء", "تنظيم"))]
    assert len(items) == 3 and all("أبرز النتائج" in c.context for c in items)


def test_html_english_article_with_declared_charset() -> None:
    d = load_bytes(ENGLISH_PAGE.encode("latin-1"), filename="nairobi.htm")
    assert "CHROME" not in d.text and "cookies" not in d.text and "dataLayer" not in d.text
    lines = d.text.splitlines()
    assert "# Nairobi workshop on mediation support" in lines
    assert "## Recommendations" in lines
    assert "1. Fund standby teams of mediation experts." in lines
    assert "### Café talks" in lines  # decoded by the declared charset
    assert "continued the discussion on women in peace processes after" in d.text
    assert (d.title, d.lang, d.source_url) == (
        "Nairobi workshop on mediation support",
        "en",
        "https://example.org/en/nairobi-workshop",
    )
    assert {c.page for c in chunk_document(d)} == {None}


def test_html_title_falls_back_to_h1_and_a_wrong_lang_is_ignored() -> None:
    page = (
        '<html lang="en"><body><nav>Home NAV_CHROME</nav><article><h1>موجز الاجتماع</h1>'
        "<p>ناقش المشاركون دور المنظمات الإقليمية في الوساطة ومنع النزاعات في القرن الأفريقي.</p>"
        "</article></body></html>"
    )
    d = load_bytes(page.encode(), filename="brief.html")
    assert d.title == "موجز الاجتماع"
    assert d.lang == "ar"  # the template's lang="en" contradicts the Arabic text
    assert d.source_url is None


def test_html_windows_1256_arabic_is_decoded_by_its_meta_charset() -> None:
    page = '<html><head><meta charset="windows-1256"></head><body><p>' + AR_PARAGRAPH + "</p></body></html>"
    d = load_bytes(page.encode("cp1256"), filename="cp1256.html")
    assert AR_SENTENCE in d.text


def test_html_short_page_uses_the_fallback_without_the_chrome() -> None:
    page = b"<html><body><nav>Home NAV_CHROME</nav><p>Short note.</p><footer>FOOTER_CHROME</footer></body></html>"
    d = load_bytes(page, filename="short.html")
    assert d.text.strip() == "Short note."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<html><head><script>var a = 1;</script></head><body><nav><a href='/'>Home</a> "
            b"<a href='/about'>About us and more</a></nav><footer>Copyright 2025 Example</footer></body></html>",
            "no main content found",
        ),
        (
            b'<html><head><meta charset="utf-8"></head><body><p>' + "نص".encode("cp1256") + b"</p>",
            "cannot decode",
        ),
        (b"<html><body><p>" + "نص".encode("cp1256") + b"</p>", "cannot decode the page as utf-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_html_raises_a_clear_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message) as e:
        load_bytes(data, filename="bad.html")
    assert e.value.source == "bad.html" and "bad.html" in str(e.value)


# --- PDF -----------------------------------------------------------------------------------------


@needs_arabic_font
def test_pdf_arabic_comes_out_in_logical_order_with_page_numbers() -> None:
    data = make_pdf(
        [
            [("L", "Meeting report"), ("R", AR_PARAGRAPH), ("J", EN_PAGE_1)],
            [("R", AR_PAGE_2)],
            [("J", EN_PAGE_3), ("R", AR_MIXED), ("R", AR_VOCALIZED)],
        ],
        title="تقرير الاجتماع الخامس",
    )
    d = load_bytes(data, filename="report.pdf")

    assert AR_SENTENCE in d.text  # words in typed order, not reversed, not scrambled
    # Each wrapped paragraph comes back whole: every word, in order, lam-alef ligatures included
    # (PDFium alone gives "االجتماع" for "الاجتماع").
    text = _squash(d.text)
    for paragraph in (AR_PARAGRAPH, AR_PAGE_2, EN_PAGE_1, EN_PAGE_3, AR_MIXED, AR_VOCALIZED):
        assert unicodedata.normalize("NFC", paragraph) in text
    assert "االجتماع" not in d.text and "األمم" not in d.text

    assert d.title == "تقرير الاجتماع الخامس" and d.lang == "ar"
    assert len(d.pages) == 3 and d.pages[0] == 0
    assert d.text.index("Meeting report") < d.pages[1] <= d.text.index("وفي الجلسة الثانية") < d.pages[2]
    # paragraphs are separated by blank lines, so the chunker cuts between them
    assert "\n\nThe fifth meeting" in d.text
    assert _chunk_with(d, AR_SENTENCE) == 1
    assert _chunk_with(d, "The fifth meeting was held in Djibouti") == 1
    assert _chunk_with(d, "وفي الجلسة الثانية") == 2
    assert _chunk_with(d, "Annex on the Nairobi workshop") == 3
    assert [c.page for c in chunk_document(d)] == sorted(c.page for c in chunk_document(d))


def test_pdf_pages_without_an_arabic_font() -> None:
    pages = [[("J", EN_PAGE_1)], [("L", "Second page: a short line."), ("J", EN_PAGE_3)], [("J", EN_PAGE_1)]]
    d = load_bytes(make_pdf(pages, arabic_font=False), filename="english.pdf")
    assert _squash(EN_PAGE_1) in _squash(d.text) and _squash(EN_PAGE_3) in _squash(d.text)
    assert "Second page: a short line.\n" in d.text  # a short line is not joined to the next
    assert d.text[d.pages[1] :].startswith("Second page")
    assert [_chunk_with(d, needle) for needle in ("Second page", "Annex on")] == [2, 2]
    assert {c.page for c in chunk_document(d)} == {1, 2, 3}


def _image_only_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    image = Image.new("RGB", (200, 100), "white")
    image.paste((0, 0, 0), (20, 40, 180, 60))  # a black bar where text would be
    pdf.image(image, x=10, y=10, w=100)
    return bytes(pdf.output())


def test_pdf_without_a_text_layer_is_reported_as_scanned() -> None:
    with pytest.raises(InvalidDocument, match=re.escape("no text layer (scanned PDF?); run OCR first")) as e:
        load_bytes(_image_only_pdf(), filename="scan.pdf")
    assert e.value.source == "scan.pdf"


def _encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("helvetica")
    pdf.cell(text="Confidential minutes of the meeting.")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a PDF at all, just some text with a .pdf name", "not a PDF file"),
        (b"%PDF-1.7\n\x00\x01garbage that is not a PDF body", "damaged"),
        (_encrypted_pdf(), "encrypted"),
    ],
    ids=["garbage", "damaged", "encrypted"],
)
def test_bad_pdf_raises_a_clear_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message) as e:
        load_bytes(data, filename="bad.pdf")
    assert e.value.source == "bad.pdf" and "bad.pdf" in str(e.value)


def test_pdf_page_and_time_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_pdf([[("L", "Page one.")], [("L", "Page two.")], [("L", "Page three.")]], arabic_font=False)
    with pytest.raises(InvalidDocument, match="3 pages is over the limit of 2") as e:
        pdf_loader.load_pdf_bytes(data, source="long.pdf", max_pages=2)
    assert e.value.source == "long.pdf"

    clock = itertools.count(step=25.0)  # every look at the clock: 25 s later
    monkeypatch.setattr(pdf_loader.time, "monotonic", lambda: next(clock))
    with pytest.raises(InvalidDocument, match=r"gave up reading the PDF after 60 s \(at page 3 of 3\)") as e:
        pdf_loader.load_pdf_bytes(data, source="slow.pdf")
    assert e.value.source == "slow.pdf"


# --- DOCX ----------------------------------------------------------------------------------------


def _docx() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Mediation support report"
    document.add_heading("Meeting in Djibouti", level=1)
    document.add_paragraph(EN_PAGE_1)
    document.add_heading("Outcomes", level=2)
    document.add_paragraph("A joint action plan for mediation.", style="List Bullet")
    document.add_paragraph("A standing contact group of the secretariats.", style="List Number")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(
        [("Year", "City", "Host"), ("2019", "Djibouti", "IGAD"), ("2021", "Nairobi", "")]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(0, 1).merge(table.cell(0, 2))
    document.add_paragraph(AR_SENTENCE + " عام 2019.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_keeps_headings_lists_and_tables() -> None:
    d = load_bytes(_docx(), filename="Mediation Report.docx")
    assert d.doc_id == "mediation-report" and d.title == "Mediation support report" and d.lang == "en"
    assert d.text.splitlines() == [
        "# Meeting in Djibouti",
        "",
        EN_PAGE_1,
        "",
        "## Outcomes",
        "",
        "- A joint action plan for mediation.",
        "- A standing contact group of the secretariats.",
        "",
        "Year | City Host",  # the merged header cell appears once
        "2019 | Djibouti | IGAD",
        "2021 | Nairobi",
        "",
        AR_SENTENCE + " عام 2019.",
    ]
    chunks = chunk_document(d)
    assert [c.text for c in chunks if "Outcomes" in c.context][:2] == [
        "A joint action plan for mediation.",
        "A standing contact group of the secretariats.",
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_docx_zip_bombs_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(InvalidDocument, match=r"compressed .* to 1, over the limit of 100 to 1") as e:
        load_bytes(bomb, filename="bomb.docx")
    assert e.value.source == "bomb.docx"

    monkeypatch.setattr(docx_loader, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    big = _zip({"word/media/image1.bin": bytes(range(256)) * 8192})  # 2 MiB, not very compressible
    with pytest.raises(InvalidDocument, match="would decompress to 2,097,152 bytes, over the limit") as e:
        load_bytes(big, filename="big.docx")
    assert "big.docx" in str(e.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is plain text, not a docx", "not a zip archive"),
        (_zip({"hello.txt": b"hi"}), "not a valid .docx file"),
    ],
    ids=["not-a-zip", "zip-without-document"],
)
def test_bad_docx_raises_a_clear_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message) as e:
        load_bytes(data, filename="bad.docx")
    assert e.value.source == "bad.docx"


def test_the_new_formats_are_registered() -> None:
    assert {".html", ".htm", ".pdf", ".docx"} <= set(supported_suffixes())
