"""Accessibility: axe-core in every state, names, the modal source view, short announcements."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import Tab, axe_violations

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
OpenTab = Callable[..., Tab]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def _new(**options: object) -> Page:
        context = browser.new_context(**options)  # type: ignore[arg-type]
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


def _ask(page: Page, question: str) -> None:
    box = page.locator("marja-chat textarea")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("marja-chat .answer").last.locator(".passages, .error, .none").first).to_be_visible()


def _answered(page: Page, question: str) -> None:
    _ask(page, question)


def _source_open(page: Page, question: str) -> None:
    _ask(page, question)
    page.locator("marja-chat button.show-source").first.click()
    expect(page.locator("marja-chat .source mark.cite").first).to_be_visible()


def _feedback_open(page: Page, question: str) -> None:
    _ask(page, question)
    page.locator("marja-chat button.thumb.up").click()
    expect(page.locator("marja-chat .feedback form")).to_be_visible()


def _error(page: Page, question: str) -> None:
    page.route("**/ask", lambda route: route.abort("connectionreset"))
    _ask(page, question)
    expect(page.locator("marja-chat button.retry")).to_be_visible()


STATES = {
    "answer-en-light-desktop": ({"viewport": {"width": 1280, "height": 800}}, _answered, Q_EN),
    "answer-ar-dark-phone": (
        {
            "viewport": {"width": 390, "height": 844},
            "has_touch": True,
            "is_mobile": True,
            "color_scheme": "dark",
            "locale": "ar-EG",
        },
        _answered,
        Q_AR,
    ),
    "source-view-ar-light": ({"locale": "ar-EG"}, _source_open, Q_AR),
    "source-view-en-dark": ({"color_scheme": "dark"}, _source_open, Q_EN),
    "feedback-form-dark": ({"color_scheme": "dark"}, _feedback_open, Q_EN),
    "error-with-retry": ({}, _error, Q_EN),
    "empty-dark-phone": (
        {"viewport": {"width": 390, "height": 844}, "has_touch": True, "color_scheme": "dark"},
        lambda page, q: None,
        "",
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_axe_finds_no_violations(service: str, new_page: Callable[..., Page], state: str) -> None:
    """axe-core (WCAG 2.2 A/AA + best practices) on the demo page in each state of the widget."""
    options, prepare, question = STATES[state]
    page = new_page(**options)
    page.goto(f"{service}/")
    expect(page.locator("marja-chat textarea")).to_be_visible()
    prepare(page, question)
    assert axe_violations(page) == []


def test_show_source_buttons_have_unique_names(service: str, open_tab: OpenTab) -> None:
    """Each "Show source" says which passage it opens; visible words start the accessible name."""
    tab = open_tab(f"{service}/")
    turn = tab.ask(Q_EN)
    passages = turn.locator(".passage")
    names = []
    for i in range(passages.count()):
        passage = passages.nth(i)
        title = passage.locator("h3").text_content() or ""
        button = passage.locator("button.show-source")
        expect(button).to_have_text("Show source")
        expect(button).to_have_accessible_name(f"Show source: {title} (passage {i + 1})")
        names.append(button.get_attribute("aria-label"))
    assert len(names) == 3 and len(set(names)) == 3
    expect(turn.get_by_role("button", name=re.compile("^Copy passage 1 "))).to_have_count(1)


def test_source_view_is_a_modal_dialog(service: str, open_tab: OpenTab) -> None:
    """aria-modal, a named document pane, focus kept inside until it closes, then given back."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    turn = tab.ask(Q_EN)
    opener = turn.locator("button.show-source").nth(1)
    opener.click()
    dialog = widget.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    title = turn.locator(".passage h3").nth(1).text_content() or ""
    expect(dialog).to_have_accessible_name(title)
    pane = dialog.get_by_role("document", name="Source document")
    expect(pane).to_be_visible()
    expect(widget.locator("button.back")).to_be_focused()
    # The rest of the widget is inert while the dialog is open.
    expect(widget.locator(".bar")).to_have_js_property("inert", True)

    inside = "(root) => root.activeElement && !!root.activeElement.closest('[role=dialog]')"
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        tab.page.keyboard.press(key)
        assert tab.shadow_eval(inside), key
    tab.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    expect(widget.locator(".bar")).to_have_js_property("inert", False)


@pytest.mark.parametrize(
    ("locale", "question", "expected"),
    [
        ("en-US", Q_EN, r"^3 passages from 2017: Fifth biennial meeting .+\.$"),
        ("ar-EG", Q_AR, r"^3 مقاطع من .+\.$"),
    ],
)
def test_new_answer_is_announced_briefly(
    service: str, open_tab: OpenTab, locale: str, question: str, expected: str
) -> None:
    """A screen reader hears "3 passages from …", not the answer's 1,400 characters."""
    tab = open_tab(f"{service}/", locale=locale)
    widget = tab.widget()
    expect(widget.locator("[role=log]")).to_have_attribute("aria-live", "off")
    status = widget.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    turn = tab.ask(question)
    expect(status).to_have_text(re.compile(expected))
    spoken = status.text_content() or ""
    answer = turn.locator(".answer").text_content() or ""
    assert len(spoken) < 200 < len(answer), (len(spoken), len(answer))


def test_error_is_announced(service: str, open_tab: OpenTab) -> None:
    tab = open_tab(f"{service}/")
    widget = tab.widget()

    def drop(route: Route) -> None:
        route.abort("connectionreset")

    tab.page.route("**/ask", drop)
    tab.ask(Q_EN)
    expect(widget.get_by_role("status")).to_have_text(
        re.compile("^The connection to the service was interrupted")
    )
