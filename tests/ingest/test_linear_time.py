"""Chunking and loading stay linear in their input on adversarial runs of whitespace and punctuation.

A pattern with adjacent quantifiers over the same characters, or a loop that rescans what it has
seen, costs O(n²) or worse on such runs and freezes every request while it runs (one Markdown
heading line of 2,000 spaces took 32 s). Each case here is timed at n and 8n characters (best of
several runs, caches cleared, on the same machine in the same run) and the larger may take at most
``MAX_RATIO`` times as long: linear code takes about 8x, quadratic code 64x. No absolute time is
asserted; a watchdog only stops a case that has run for ``WATCHDOG_S`` seconds (super-linear
code on these sizes does) so that it fails instead of hanging.
"""

from __future__ import annotations

import html
import io
import math
import random
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import docx
import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.document import Document
from core.errors import InvalidDocument
from ingest.chunking import MAX_CONTEXT_PART, chunk_document
from ingest.loaders import load_bytes
from ingest.loaders.html import _tidy_markdown
from text.analyzer import _term
from text.language import detect_language

SMALL = 4_000
SCALE = 8
MAX_RATIO = 20.0
WATCHDOG_S = 20.0
PREFIX = "Words that make this a document worth indexing.\n\n"

# Characters that structure text: every pattern of the chunker and the loaders looks for them.
ALPHABET = " \t\n.!?؟؛…#-*_+|:>)\"'»]1aب\u064e"


class TooSlow(Exception):
    pass


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"still running after {seconds:g} s: super-linear")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _clear_caches() -> None:
    detect_language.cache_clear()
    _term.cache_clear()


def _best(run: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    best = math.inf
    for _ in range(rounds):
        _clear_caches()
        started = time.perf_counter()
        for _ in range(repeat):
            run()
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(
    make: Callable[[int], object], run: Callable[[object], object], *, small: int = SMALL
) -> None:
    """``run(make(n))`` takes at most MAX_RATIO times longer at SCALE x n than at n."""
    small_input, large_input = make(small), make(small * SCALE)
    with watchdog(WATCHDOG_S):
        _clear_caches()
        started = time.perf_counter()
        run(small_input)
        once = time.perf_counter() - started
        repeat = max(1, math.ceil(0.01 / max(once, 1e-6)))  # at least ~10 ms per measurement
        t_small = _best(lambda: run(small_input), repeat)
        t_large = _best(lambda: run(large_input), repeat)
    ratio = t_large / t_small
    assert ratio <= MAX_RATIO, (
        f"{SCALE}x the input took {ratio:.1f}x the time ({t_small * 1e3:.2f} ms → {t_large * 1e3:.2f} ms "
        f"for {repeat} runs): super-linear"
    )


# -- what is run ------------------------------------------------------------------------------------


def chunk(text: object) -> object:
    assert isinstance(text, str)
    return chunk_document(Document(doc_id="x", title="Adversarial", text=PREFIX + text, lang="en"))


def markdown(text: object) -> object:
    assert isinstance(text, str)
    try:
        return chunk_document(load_bytes((PREFIX + text).encode(), filename="x.md"))
    except InvalidDocument:
        return None


def front_matter(text: object) -> object:
    """An unterminated front matter block, then the body."""
    assert isinstance(text, str)
    try:
        return load_bytes(("---\n" + text + "\n" + PREFIX).encode(), filename="x.md")
    except InvalidDocument:
        return None


def html_page(text: object) -> object:
    assert isinstance(text, str)
    page = f"<html><body><article><h1>Title</h1><p>{PREFIX}</p><p>{html.escape(text)}</p></article></body></html>"
    try:
        return load_bytes(page.encode(), filename="x.html")
    except InvalidDocument:
        return None


def markdown_cleanup(text: object) -> object:
    """What the HTML loader does to trafilatura's Markdown (emphasis, table rules, spaces)."""
    assert isinstance(text, str)
    return _tidy_markdown(text)


def make_docx(text: str) -> bytes:
    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def word(data: object) -> object:
    assert isinstance(data, bytes)
    try:
        return load_bytes(data, filename="x.docx")
    except InvalidDocument:
        return None


def make_pdf_line(text: str) -> bytes:
    """One page whose text is drawn on one long line in a tiny font (PDF lines can be that long)."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=2)
    pdf.add_page()
    pdf.cell(0, 3, text)
    return bytes(pdf.output())


def pdf(data: object) -> object:
    assert isinstance(data, bytes)
    try:
        return load_bytes(data, filename="x.pdf")
    except InvalidDocument:
        return None


# -- cases ------------------------------------------------------------------------------------------

RUNS: dict[str, Callable[[int], str]] = {
    "heading padded with spaces and tabs": lambda n: "# a" + " \t" * (n // 2) + "b\n\nx",
    "one run of spaces": lambda n: "a" + " " * n + "b",
    "spaces then a line end": lambda n: "a" + " \t" * (n // 2) + "\nb",
    "line ends padded with spaces": lambda n: " \n" * (n // 2),
    "full stops": lambda n: "." * n,
    "Arabic question marks": lambda n: "؟" * n,
    "closing brackets after a full stop": lambda n: "a." + ")" * n + "x",
    "list marker then spaces": lambda n: "- " + " " * n,
    "almost a thematic break": lambda n: "-" + " -" * (n // 2) + " x",
    "asterisks": lambda n: "*" * n,
    "heading of hashes": lambda n: "# " + "#" * n + " x",
    "unclosed bold": lambda n: "**a " * (n // 4),
    "table rule without its pipe": lambda n: "|---" + " " * n + "x",
    "a long heading over many paragraphs": lambda n: (
        "# " + "word " * (n // 10) + "\n\n" + "Para.\n\n" * (n // 14)
    ),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_chunking_is_linear(name: str) -> None:
    assert_linear(RUNS[name], chunk)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_markdown_loading_is_linear(name: str) -> None:
    assert_linear(RUNS[name], markdown)


@pytest.mark.parametrize("name", ["one run of spaces", "line ends padded with spaces", "full stops"])
def test_unterminated_front_matter_is_linear(name: str) -> None:
    assert_linear(RUNS[name], front_matter)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_html_loading_is_linear(name: str) -> None:
    assert_linear(RUNS[name], html_page)


@pytest.mark.parametrize(
    "name",
    [
        "unclosed bold",
        "one run of spaces",
        "spaces then a line end",
        "table rule without its pipe",
        "asterisks",
    ],
)
def test_html_markdown_cleanup_is_linear(name: str) -> None:
    assert_linear(RUNS[name], markdown_cleanup)


@pytest.mark.parametrize("name", ["one run of spaces", "full stops", "heading padded with spaces and tabs"])
def test_docx_loading_is_linear(name: str) -> None:
    assert_linear(lambda n: make_docx(RUNS[name](n)), word)


@pytest.mark.parametrize("unit", ["1 ", ". ", "a ", "a.b "])
def test_pdf_line_reading_is_linear(unit: str) -> None:
    """Digits and punctuation between letters made reading one PDF line quadratic (bidi
    neighbours were searched from every glyph)."""
    assert_linear(lambda n: make_pdf_line(unit * (n // len(unit))), pdf, small=500)


def _random_unit(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))


@pytest.mark.parametrize("seed", range(6))
def test_random_runs_of_structure_characters_are_linear(seed: int) -> None:
    unit = _random_unit(random.Random(seed))
    assert_linear(lambda n: "a" + unit * (n // len(unit)) + "b", markdown)


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(unit=st.text(alphabet=ALPHABET, min_size=1, max_size=5), head=st.sampled_from(["", "# ", "- ", "> "]))
def test_fuzzed_runs_are_linear(unit: str, head: str) -> None:
    assert_linear(lambda n: head + "a" + unit * (n // len(unit)) + "b", chunk, small=2_000)


def test_the_context_repeated_in_every_chunk_is_clipped() -> None:
    """A 100,000-character heading above 1,000 paragraphs must not be copied into every chunk."""
    text = (
        "# "
        + "word " * 20_000
        + "\n\n"
        + "".join(f"Paragraph {i} has a few words of its own.\n\n" for i in range(1000))
    )
    chunks = chunk_document(Document(doc_id="x", title="T " * 5000, text=text, lang="en"))
    assert chunks
    assert max(len(c.context) for c in chunks) <= 2 * MAX_CONTEXT_PART + 3
    assert all(c.text == text[c.start : c.end] for c in chunks)
