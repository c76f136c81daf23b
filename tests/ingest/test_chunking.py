from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from core.document import Document
from ingest.blocks import heading_at, is_thematic_break, parse_blocks
from ingest.chunking import ChunkingOptions, chunk_document


def doc(text: str, title: str = "T") -> Document:
    return Document(doc_id="d", title=title, text=text, lang="ar")


# Text built from the pieces that matter to the chunker: Arabic and Latin words, sentence
# ends of both scripts, list markers, headings, blank lines, odd whitespace.
_pieces = st.sampled_from(
    [
        "كلمة",
        "المنظمات",
        "2017",
        "٢٠١٨",
        "word",
        "IGAD",
        " ",
        "  ",
        "\t",
        "\n",
        "\n\n",
        ". ",
        "؟ ",
        "؛ ",
        "! ",
        "? ",
        "، ",
        "- ",
        "\n- ",
        "\n• ",
        "\n1. ",
        "\n# ",
        "\n## ",
        "\n---\n",
        "(",
        ")",
        "\r\n",
        "…",
        "*",
    ]
)
texts = st.lists(_pieces, min_size=0, max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=texts, max_chars=st.integers(min_value=20, max_value=400))
def test_every_chunk_is_an_exact_slice(text: str, max_chars: int) -> None:
    d = doc(text)
    chunks = chunk_document(d, ChunkingOptions(max_chars=max_chars, min_chars=max_chars // 3))
    previous_end = 0
    for chunk in chunks:
        assert d.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert chunk.start >= previous_end  # in order, no overlap
        previous_end = chunk.end
        for s, e in chunk.sentences:
            assert chunk.start <= s < e <= chunk.end
            assert d.text[s:e].strip() == d.text[s:e]


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_no_word_is_lost(text: str) -> None:
    """Every word of the text is in a chunk or in a heading (headings become chunk context)."""
    d = doc(text)
    covered = [False] * len(text)
    for chunk in chunk_document(d):
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    for block in parse_blocks(text):
        if block.kind == "heading":
            for i in range(block.start, block.end):
                covered[i] = True
    for m in re.finditer(r"\w+", text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if re.fullmatch(r"[ \t]*\d{1,3}[.)]", text[line_start : m.end() + 1]):
            continue  # the number of a numbered list item is markup, not content
        assert all(covered[m.start() : m.end()]), m.group()


def test_list_items_never_share_a_chunk(corpus_documents: list[Document]) -> None:
    source = next(d for d in corpus_documents if d.doc_id == "un-regional-organizations")
    chunks = chunk_document(source)
    event_chunks = [c for c in chunks if c.text.startswith("في عام")]
    assert [c.years for c in event_chunks] == [(2023,), (2021,), (2019,), (2018,), (2017,)]
    for c in event_chunks:
        assert c.context.endswith("فيما يلي الفعاليات الرئيسية التي تم تنظيمها")


def test_short_list_items_are_not_merged() -> None:
    chunks = chunk_document(doc("- one.\n- two.\n- three."))
    assert [c.text for c in chunks] == ["one.", "two.", "three."]


def test_short_paragraphs_are_joined_under_one_heading() -> None:
    text = "# A\n\nshort one.\n\nshort two.\n\n# B\n\nshort three."
    chunks = chunk_document(doc(text, title="Doc"), ChunkingOptions(min_chars=50))
    assert [c.text for c in chunks] == ["short one.\n\nshort two.", "short three."]
    assert [c.context for c in chunks] == ["Doc › A", "Doc › B"]


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    sentences = [f"الجملة رقم {i} عن الوساطة؟" if i % 2 else f"Sentence {i} is here." for i in range(40)]
    text = " ".join(sentences)
    chunks = chunk_document(doc(text), ChunkingOptions(max_chars=200, min_chars=50))
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 200
        assert c.text.endswith(("؟", "."))


def test_one_overlong_sentence_is_split_at_whitespace() -> None:
    text = " ".join(["كلمة"] * 200)
    chunks = chunk_document(doc(text), ChunkingOptions(max_chars=100, min_chars=10))
    assert len(chunks) > 5
    assert all(len(c.text) <= 100 and "كلمة" in c.text for c in chunks)


def test_chunks_record_language_years_and_page() -> None:
    d = Document(
        doc_id="p",
        title="T",
        text="Page one in 2019.\n\nالصفحة الثانية عام ٢٠٢١.",
        lang="en",
        pages=(0, 19),
    )
    chunks = chunk_document(d, ChunkingOptions(min_chars=1))
    assert [(c.lang, c.years, c.page) for c in chunks] == [("en", (2019,), 1), ("ar", (2021,), 2)]


def test_short_paragraphs_are_not_joined_across_pages() -> None:
    d = Document(
        doc_id="p", title="T", text="End of page one.\n\nStart of page two.", lang="en", pages=(0, 18)
    )
    chunks = chunk_document(d, ChunkingOptions(min_chars=200))
    assert [(c.text, c.page) for c in chunks] == [("End of page one.", 1), ("Start of page two.", 2)]


# The Markdown rules as patterns (super-linear on long runs of spaces; see ingest/blocks.py).
_HEADING_PATTERN = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
_RULE_PATTERN = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


@settings(max_examples=2000, deadline=None)
@given(line=st.text(alphabet=" \t#-*_a", max_size=14))
def test_heading_and_rule_reading_agree_with_the_markdown_patterns(line: str) -> None:
    expected = _HEADING_PATTERN.match(line)
    got = heading_at(line, 0, len(line))
    assert (got is None) == (expected is None)
    if expected and got:
        assert got == (len(expected.group(1)), expected.start("title"), expected.end("title"))
    assert is_thematic_break(line) == bool(_RULE_PATTERN.match(line))
