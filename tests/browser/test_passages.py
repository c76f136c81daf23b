"""What a passage offers: its document's structure in the source view, and copying with a citation."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LINKED_DOC_ID, LINKED_URL, PAGED_TITLE, Tab, serving

pytestmark = pytest.mark.browser

Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
OpenTab = Callable[..., Tab]
MARKERS = re.compile(r"^\s*(?:[-*+•]|#{1,6}|\d{1,3}[.)])\s")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_source_view_shows_the_document_structure(service: str, open_tab: OpenTab) -> None:
    """Headings, list items and paragraphs become elements; no "- " or "## " is left in the text."""
    tab = open_tab(f"{service}/", locale="ar-EG")
    widget = tab.widget()
    turn = tab.ask(Q_AR)
    passage = turn.locator('.passage[data-doc-id="un-regional-organizations"]').first
    # The passage is a list item of the page (cut after its "- ").
    assert not MARKERS.match(passage.locator(".text").text_content() or "")
    passage.locator("button.show-source").click()
    doc = widget.locator(".doc")
    expect(doc.locator("mark.cite").first).to_be_visible()

    structure = tab.shadow_eval(
        """(root) => {
            const doc = root.querySelector('.doc');
            const blocks = [...doc.children].map((e) => e.tagName.toLowerCase());
            return {
                blocks,
                items: doc.querySelectorAll('ul > li').length,
                headings: [...doc.querySelectorAll('h3')].map((h) => h.textContent),
                firstLines: [...doc.querySelectorAll('p, li, h3')].map((e) => e.textContent.slice(0, 3)),
                citedItem: !!doc.querySelector('li mark.cite'),
            };
        }"""
    )
    assert isinstance(structure, dict)
    assert structure["blocks"][:3] == ["p", "p", "p"], structure["blocks"]
    assert "h3" in structure["blocks"] and "ul" in structure["blocks"]
    assert structure["items"] == 5 and structure["blocks"].count("ul") == 1  # one list of five events
    assert structure["headings"] == ["فيما يلي الفعاليات الرئيسية التي تم تنظيمها"]
    assert not [line for line in structure["firstLines"] if MARKERS.match(line + " ")]
    assert structure["citedItem"]
    expect(doc.get_by_role("heading", level=3)).to_have_count(1)
    expect(doc.get_by_role("listitem").first).to_be_visible()
    # Still only text: the raw document has the same words in the same order.
    raw = tab.page.evaluate("async () => (await fetch('/documents/un-regional-organizations')).json()")
    stripped = "\n".join(MARKERS.sub("", line) for line in raw["text"].splitlines())
    assert _words(doc.text_content() or "").replace(" ", "") == re.sub(r"\s+", "", stripped)


def _clipboard_tab(browser: Browser, url: str, locale: str = "en-US") -> Tab:
    context = browser.new_context(locale=locale, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(url)
    return Tab(page)


@pytest.mark.parametrize(
    ("question", "doc", "expected"),
    [
        (
            "Where was the workshop on coastal fisheries disputes held in 2031?",
            LINKED_DOC_ID,
            "In 2031, the workshop on coastal fisheries disputes was held in Mombasa, hosted by the "
            "regional\nfisheries commission. — 2031: Workshop on coastal fisheries disputes (summary), "
            f"{LINKED_URL}",
        ),
        (
            "Where did the lighthouse keepers association meet in 2032?",
            "lighthouse-report",
            re.compile(
                r"In 2032, the lighthouse keepers association met in Tromso .* — "
                + re.escape(PAGED_TITLE)
                + r", p\. 2$",
                re.S,
            ),
        ),
    ],
    ids=["with-source-url", "with-page"],
)
def test_copy_passage_with_citation(
    service: str, browser: Browser, question: str, doc: str, expected: str | re.Pattern[str]
) -> None:
    """Copy puts "passage — Title, p. N, source_url" on the clipboard and says so."""
    tab = _clipboard_tab(browser, f"{service}/")
    try:
        turn = tab.ask(question)
        passage = turn.locator(f'.passage[data-doc-id="{doc}"]').first
        button = passage.locator("button.copy")
        button.click()
        expect(button).to_have_text("Copied")
        expect(tab.widget().get_by_role("status")).to_have_text("Copied")
        copied = str(tab.page.evaluate("navigator.clipboard.readText()"))
        if isinstance(expected, str):
            assert copied == expected
        else:
            assert expected.match(copied), copied
        expect(button).to_have_text("Copy", timeout=5000)
    finally:
        tab.page.context.close()


def test_copy_in_arabic(service: str, browser: Browser) -> None:
    """An Arabic passage is copied as its words followed by its citation."""
    tab = _clipboard_tab(browser, f"{service}/", locale="ar-EG")
    try:
        turn = tab.ask(Q_AR)
        passage = turn.locator('.passage[data-doc-id="un-regional-organizations"]').first
        text = passage.locator(".text").text_content() or ""
        title = passage.locator("h3").text_content() or ""
        passage.locator("button.copy").click()
        expect(passage.locator("button.copy")).to_have_text("تم النسخ")
        copied = str(tab.page.evaluate("navigator.clipboard.readText()"))
        assert copied.endswith(f" — {title}")
        assert _words(copied.removesuffix(f" — {title}")) == _words(text)
    finally:
        tab.page.context.close()


def test_source_view_shows_the_cited_version_while_it_is_kept(
    index_dir: Path, tmp_path: Path, open_tab: OpenTab
) -> None:
    """A citation names its index version: after the document is corrected, "show source" still
    opens the text that was cited; once that version is pruned (410), the current text with a note."""
    data = tmp_path / "data"
    shutil.copytree(index_dir, data)
    key = "pinned-versions-key-0123456789"
    with serving(data, tmp_path / "serve.log", MARJA_API_KEYS=key, MARJA_KEEP_VERSIONS="2") as url:
        tab = open_tab(f"{url}/")
        widget = tab.widget()
        turn = tab.ask("Where was the workshop on coastal fisheries disputes held in 2031?")
        passage = turn.locator(f'.passage[data-doc-id="{LINKED_DOC_ID}"]').first
        cited = passage.locator(".text").text_content() or ""
        assert "Mombasa" in cited

        def correct(text: str) -> None:
            body = {"title": "2031: Workshop on coastal fisheries disputes (summary)", "text": text}
            answer = httpx.put(f"{url}/documents/{LINKED_DOC_ID}", json=body, headers={"X-API-Key": key})
            assert answer.status_code == 200, answer.text

        correct("In 2031, the workshop on coastal fisheries disputes was held in Malindi instead.")
        passage.locator("button.show-source").click()
        doc = widget.locator(".doc")
        expect(doc.locator("mark.cite")).to_contain_text("Mombasa")  # the cited version's text
        expect(doc.locator(".error")).to_have_count(0)
        widget.locator("button.back").click()

        correct("In 2031, the workshop on coastal fisheries disputes was held in Lamu after all.")
        tab.page.reload()  # the conversation is restored; the cited version is now pruned
        restored = tab.widget().locator(f'.passage[data-doc-id="{LINKED_DOC_ID}"]').first
        restored.locator("button.show-source").click()
        doc = tab.widget().locator(".doc")
        expect(doc.locator(".error")).to_be_visible()  # "no longer in the document"
        expect(doc).to_contain_text("Lamu")
