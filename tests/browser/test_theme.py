"""Dark mode, the theme attribute, CSS custom properties, ::part() names and the Arabic font stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import HostSite, Tab, host_page

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
OpenTab = Callable[..., Tab]

LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(21, 26, 32)"

# The names the README documents for ::part().
PARTS = [
    "chat",
    "header",
    "title",
    "new-conversation",
    "log",
    "question",
    "answer",
    "passage",
    "passage-title",
    "passage-text",
    "input",
    "send",
    "source",
    "error",
    "feedback",
]


def _style(tab: Tab, selector: str, prop: str, host: str = "marja-chat") -> str:
    return str(
        tab.shadow_eval(
            "(root, [sel, prop]) => getComputedStyle(root.querySelector(sel))[prop]", [selector, prop], host
        )
    )


def _themes_page(service: str, site: HostSite) -> str:
    return site.add(
        "/themes.html",
        host_page(
            f"{service}/widget.js",
            f'<marja-chat id="auto" endpoint="{service}" height="300"></marja-chat>'
            f'<marja-chat id="light" theme="light" endpoint="{service}" height="300"></marja-chat>'
            f'<marja-chat id="dark" theme="dark" endpoint="{service}" height="300"></marja-chat>',
        ),
    )


@pytest.mark.parametrize(("scheme", "auto_bg"), [("light", LIGHT_BG), ("dark", DARK_BG)])
def test_color_scheme_and_theme_attribute(
    service: str, allowed_site: HostSite, host_js: None, browser: Browser, scheme: str, auto_bg: str
) -> None:
    """theme="auto" (or none) follows prefers-color-scheme; "light" and "dark" force theirs."""
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(_themes_page(service, allowed_site))
        expect(page.locator("#dark textarea")).to_be_visible()
        tab = Tab(page)
        assert _style(tab, ".chat", "backgroundColor", "#auto") == auto_bg
        assert _style(tab, ".chat", "backgroundColor", "#light") == LIGHT_BG
        assert _style(tab, ".chat", "backgroundColor", "#dark") == DARK_BG
        assert _style(tab, ".chat", "colorScheme", "#dark") == "dark"
        assert _style(tab, "textarea", "backgroundColor", "#dark") == DARK_BG
        # The attribute takes effect at once.
        page.evaluate("document.querySelector('#light').setAttribute('theme', 'dark')")
        assert _style(tab, ".chat", "backgroundColor", "#light") == DARK_BG
    finally:
        context.close()


def test_dark_answer_is_readable(service: str, browser: Browser) -> None:
    """In the dark theme the passages, marks and buttons are dark with light text."""
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{service}/")
        tab = Tab(page)
        turn = tab.ask(Q_EN)
        expect(turn.locator(".passage mark").first).to_be_visible()
        assert _style(tab, ".passage", "backgroundColor") == "rgb(26, 33, 41)"
        assert _style(tab, ".passage .text", "color") == "rgb(226, 232, 238)"
        assert _style(tab, ".passage mark", "backgroundColor") == "rgb(94, 77, 12)"
        assert _style(tab, "button.copy", "backgroundColor") == "rgb(33, 43, 53)"
    finally:
        context.close()


DARK_INTRANET = """<style>
body { background: #0f1720; color: #d8dee9; }
marja-chat {
  --marja-bg: #111a24; --marja-text: #d8dee9; --marja-accent: #3b82c4;
  --marja-font: Georgia, serif; --marja-font-arabic: "Amiri", serif; --marja-radius: 4px;
}
marja-chat::part(header) { background: #0b121a; }
marja-chat::part(send) { font-weight: 700; }
marja-chat::part(passage) { border-color: rgb(1, 2, 3); }
</style>"""


def test_custom_properties_and_parts(
    service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """A dark intranet page themes the widget with --marja-* properties and ::part() rules."""
    url = allowed_site.add(
        "/intranet-dark.html",
        host_page(
            f"{service}/widget.js",
            f'<marja-chat endpoint="{service}" theme="dark"></marja-chat>',
            head=DARK_INTRANET,
        ),
    )
    tab = open_tab(url)
    tab.ask(Q_EN)
    assert _style(tab, ".chat", "backgroundColor") == "rgb(17, 26, 36)"
    assert _style(tab, ".chat", "color") == "rgb(216, 222, 233)"
    assert _style(tab, ".chat", "fontFamily") == "Georgia, serif"
    assert _style(tab, ".chat", "borderTopLeftRadius") == "4px"
    assert _style(tab, "button.send", "backgroundColor") == "rgb(59, 130, 196)"
    assert _style(tab, ".question", "backgroundColor") == "rgb(59, 130, 196)"
    assert _style(tab, ".bar", "backgroundColor") == "rgb(11, 18, 26)"
    assert _style(tab, "button.send", "fontWeight") == "700"
    assert _style(tab, ".passage", "borderTopColor") == "rgb(1, 2, 3)"
    found = tab.shadow_eval(
        "(root, names) => names.filter((n) => root.querySelector(`[part~='${n}']`))",
        PARTS[:-2],  # "error" and "feedback" exist in other states
    )
    assert found == PARTS[:-2]
    tab.widget().locator("button.thumb.down").click()
    assert tab.shadow_eval("(root) => !!root.querySelector(\"[part~='feedback']\")")
    tab.screenshot("widget-dark-intranet.png")


def test_arabic_font_stack(service: str, open_tab: OpenTab) -> None:
    """Arabic text (UI and passages) prefers good Arabic faces; English keeps the UI font."""
    tab = open_tab(f"{service}/", locale="ar-EG")
    turn = tab.ask(Q_AR)
    arabic = turn.locator('.passage .text[lang="ar"]').first
    expect(arabic).to_be_visible()
    family = str(arabic.evaluate("(e) => getComputedStyle(e).fontFamily"))
    assert family.startswith('"Noto Naskh Arabic", "Noto Sans Arabic", "Segoe UI", "Geeza Pro"'), family
    ui = _style(tab, ".chat", "fontFamily")
    assert ui.startswith('"Noto Naskh Arabic"'), ui  # the interface is Arabic too
    english_tab = open_tab(f"{service}/")
    english = english_tab.ask(Q_EN).locator('.passage .text[lang="en"]').first
    assert str(english.evaluate("(e) => getComputedStyle(e).fontFamily")).startswith("system-ui")
    # An Arabic question in the English interface is set in the Arabic stack too.
    bubble = english_tab.ask(Q_AR).locator(".question")
    expect(bubble).to_have_attribute("lang", "ar")
    assert str(bubble.evaluate("(e) => getComputedStyle(e).fontFamily")).startswith('"Noto Naskh Arabic"')
