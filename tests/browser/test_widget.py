"""The <marja-chat> widget in headless Chromium, against a live ``marja serve``.

Run: ``.venv/bin/python -m pytest -q tests/browser`` (needs ``apt-get install -y chromium``).
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import expect

from harness.live import free_port
from tests.browser.conftest import (
    ARTIFACTS,
    XSS_DOC_ID,
    XSS_TITLE,
    HostSite,
    SilentServer,
    Tab,
    host_page,
)

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
Q_WHERE = "Where was the meeting held in 2017?"
Q_FOLLOW_UP = "and in 2019?"

OpenTab = Callable[..., Tab]


def _direction(tab: Tab, selector: str, index: int = 0) -> str:
    return str(
        tab.shadow_eval(
            "(root, [sel, i]) => getComputedStyle(root.querySelectorAll(sel)[i]).direction", [selector, index]
        )
    )


def _words(text: str) -> str:
    """The text without Markdown line markers ("- ", "## ", "1. ") and without any whitespace."""
    plain = re.sub(r"(?m)^[ \t]*(?:[-*+]|#{1,6}|\d{1,3}[.)])[ \t]+", "", text)
    return re.sub(r"\s+", "", plain)


def _cite_text(tab: Tab) -> str:
    """The text of every piece of the cited span in the source view (it may cross blocks)."""
    return str(
        tab.shadow_eval(
            "(root) => [...root.querySelectorAll('.source mark.cite')].map(m => m.textContent).join('')"
        )
    )


def _document(tab: Tab, doc_id: str) -> dict:
    return tab.page.evaluate(
        "async (id) => (await fetch(`/documents/${encodeURIComponent(id)}`)).json()", doc_id
    )


# -- the routes -----------------------------------------------------------------------------------


def test_widget_routes(service: str) -> None:
    js = httpx.get(f"{service}/widget.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("application/javascript")
    assert "max-age=300" in js.headers["cache-control"]
    assert "customElements.define" in js.text
    assert "innerHTML" not in js.text.replace("no innerHTML anywhere", "")
    again = httpx.get(f"{service}/widget.js", headers={"If-None-Match": js.headers["etag"]})
    assert again.status_code == 304
    # gzipped for clients that accept it, the same bytes once decoded
    assert js.headers["content-encoding"] == "gzip" and "accept-encoding" in js.headers["vary"].lower()
    assert int(js.headers["content-length"]) < len(js.content) / 2
    plain = httpx.get(f"{service}/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == js.content

    page = httpx.get(f"{service}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="widget.js" defer></script>' in page.text
    assert "<marja-chat" in page.text

    paths = httpx.get(f"{service}/openapi.json").json()["paths"]
    assert "/" not in paths
    assert "/widget.js" not in paths


# -- answers --------------------------------------------------------------------------------------


def test_english_answer_with_highlight(service: str, open_tab: OpenTab) -> None:
    """(a) The first passage is the 2017 (Djibouti) meeting, with the answering sentence marked."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    log = widget.locator("[role=log]")
    # The log itself is not read out on every change; a short summary goes to the status region.
    expect(log).to_have_attribute("aria-live", "off")
    expect(widget.locator("textarea")).to_have_attribute("aria-label", "Your question")
    expect(widget.locator("button.send")).to_have_text("Send")
    bodies = tab.ask_bodies()

    turn = tab.ask(Q_EN)
    first = turn.locator(".passage").first
    expect(first.locator(".text")).to_contain_text(re.compile("Djibouti|جيبوتي"))
    expect(first.locator(".text mark").first).not_to_be_empty()
    expect(first.locator("h3")).to_contain_text("2017")
    expect(turn.locator(".question")).to_have_text(Q_EN)
    assert _direction(tab, ".passage .text") == "ltr"
    assert bodies == [{"question": Q_EN, "top_k": 3, "previous_question": None}]
    tab.screenshot("widget-en-answer.png")


def test_loading_state(service: str, open_tab: OpenTab) -> None:
    """While the service works: a loading indicator and aria-busy; then the answer."""
    tab = open_tab(f"{service}/")
    held = []
    tab.page.route("**/ask", lambda route: held.append(route))
    widget = tab.widget()
    widget.locator("textarea").fill(Q_EN)
    widget.locator("textarea").press("Enter")
    expect(widget.locator(".loading")).to_be_visible()
    expect(widget.locator("[role=log]")).to_have_attribute("aria-busy", "true")
    expect(widget.locator("[role=status]")).to_have_text("Searching the documents…")
    held[0].continue_()
    expect(widget.locator(".passage").first).to_be_visible()
    expect(widget.locator(".loading")).to_have_count(0)
    expect(widget.locator("[role=log]")).to_have_attribute("aria-busy", "false")


def test_arabic_answer_is_right_to_left(service: str, open_tab: OpenTab) -> None:
    """(b) Arabic UI from navigator.language; Arabic passages rtl and right-aligned, English ltr."""
    tab = open_tab(f"{service}/", locale="ar-EG")
    widget = tab.widget()
    expect(widget.locator("button.send")).to_have_text("إرسال")
    assert tab.shadow_eval("(root) => getComputedStyle(root.querySelector('.chat')).direction") == "rtl"

    turn = tab.ask(Q_AR)
    first_text = turn.locator(".passage .text").first
    expect(first_text).to_contain_text(re.compile("جيبوتي|Djibouti"))
    expect(first_text.locator("mark").first).not_to_be_empty()
    assert _direction(tab, ".passage .text") == "rtl"
    assert _direction(tab, ".question") == "rtl"
    # Right-aligned: the first line of the passage starts at the right edge of its box.
    gap = tab.shadow_eval(
        """(root) => {
            const p = root.querySelector('.passage .text');
            const range = document.createRange();
            range.selectNodeContents(p);
            return p.getBoundingClientRect().right - range.getClientRects()[0].right;
        }"""
    )
    assert isinstance(gap, int | float) and abs(gap) < 6, gap
    tab.screenshot("widget-ar-answer.png")

    turn = tab.ask(Q_EN)
    english = turn.locator(".passage .text").first
    expect(english).to_contain_text("Djibouti")
    n_before = widget.locator(".passage").count() - turn.locator(".passage").count()
    assert _direction(tab, ".passage .text", n_before) == "ltr"
    assert _direction(tab, ".question", 1) == "ltr"


def test_hostile_document_is_shown_as_text(service: str, open_tab: OpenTab) -> None:
    """(c) Markup in titles, passages and questions is shown as characters and never runs."""
    tab = open_tab(f"{service}/")
    question = "<img src=x onerror=alert(4)> What does the quarantine notice of the security drill read?"
    turn = tab.ask(question)
    expect(turn.locator(".question")).to_have_text(question)
    passage = turn.locator(f'.passage[data-doc-id="{XSS_DOC_ID}"]').first
    expect(passage.locator("h3")).to_have_text(XSS_TITLE)
    expect(passage.locator(".text")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(passage.locator(".text")).to_contain_text("<script>alert(2)</script>")
    # source_url is "javascript:alert(3)": not a link
    expect(passage.locator("a")).to_have_count(0)

    passage.locator("button.show-source").click()
    cite = tab.widget().locator(".source mark.cite")
    expect(cite.first).to_be_visible()
    expect(tab.widget().locator(".source h2")).to_have_text(XSS_TITLE)
    # the emoji before the passage must not shift the marked span (code points vs UTF-16)
    doc = _document(tab, XSS_DOC_ID)
    start, end = (int(passage.get_attribute(a) or 0) for a in ("data-start", "data-end"))
    assert _words(_cite_text(tab)) == _words("".join(list(doc["text"])[start:end]))

    tab.page.wait_for_timeout(500)  # an <img onerror> would have fired by now
    counts = tab.shadow_eval("(root) => root.querySelectorAll('img, script, iframe, [onerror]').length")
    assert counts == 0
    assert tab.page.evaluate("document.querySelectorAll('img').length") == 0
    assert tab.dialogs == []


# -- failures -------------------------------------------------------------------------------------


def test_service_down(service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab) -> None:
    """(d) A widget pointed at a closed port says so; another widget and the page keep working."""
    closed = f"http://127.0.0.1:{free_port()}"
    url = allowed_site.add(
        "/down.html",
        host_page(
            f"{service}/widget.js",
            f'<marja-chat id="down" endpoint="{closed}"></marja-chat>'
            f'<marja-chat id="up" endpoint="{service}"></marja-chat>',
        ),
    )
    tab = open_tab(url)
    down, up = tab.widget("#down"), tab.widget("#up")
    turn = tab.ask(Q_EN, down)
    expect(turn.locator(".error")).to_contain_text("Cannot reach the service")
    expect(down.locator("textarea")).to_be_editable()
    expect(turn.locator("button.retry")).to_be_focused()  # ready to retry
    tab.screenshot("widget-error.png", "#down")

    tab.page.locator("#host-button").click()
    expect(tab.page.locator("#host-button")).to_have_text("clicked 1")
    expect(tab.ask(Q_EN, up).locator(".passage").first).to_contain_text("Djibouti")


def test_timeout(
    service: str, silent_server: SilentServer, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """A service that never answers: the request is aborted and the timeout is reported."""
    url = allowed_site.add(
        "/silent.html",
        host_page(
            f"{service}/widget.js", f'<marja-chat endpoint="{silent_server.url}" timeout="1"></marja-chat>'
        ),
    )
    tab = open_tab(url)
    turn = tab.ask(Q_EN)
    expect(turn.locator(".error")).to_contain_text("did not answer in time")


def test_http_error_shows_server_detail(service: str, open_tab: OpenTab) -> None:
    """A 4xx answer shows the server's own `detail` message."""
    tab = open_tab(f"{service}/")
    turn = tab.ask("\x07\x07")  # control characters only: the service refuses it as empty
    expect(turn.locator(".error")).to_contain_text("(422)")
    expect(turn.locator(".error")).to_contain_text("question: is empty")


# -- embedding on other origins -------------------------------------------------------------------


def test_cross_origin_allowed(service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab) -> None:
    """A page on an origin listed in MARJA_CORS_ORIGINS gets answers."""
    url = allowed_site.add(
        "/embed.html", host_page(f"{service}/widget.js", f'<marja-chat endpoint="{service}"></marja-chat>')
    )
    tab = open_tab(url)
    expect(tab.ask(Q_EN).locator(".passage .text").first).to_contain_text("Djibouti")


def test_cross_origin_not_allowed(
    service: str, blocked_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """A page on an origin CORS does not allow: an error in the widget, the page unharmed."""
    url = blocked_site.add(
        "/embed.html", host_page(f"{service}/widget.js", f'<marja-chat endpoint="{service}"></marja-chat>')
    )
    tab = open_tab(url)
    turn = tab.ask(Q_EN)
    expect(turn.locator(".error")).to_contain_text(
        f"This page's address ({blocked_site.origin}) is not allowed to use the service "
        "(ask the administrator to add it to MARJA_CORS_ORIGINS)"
    )
    expect(turn.locator(".error")).not_to_contain_text("Cannot reach")
    tab.page.locator("#host-button").click()
    expect(tab.page.locator("#host-button")).to_have_text("clicked 1")
    expect(tab.page.locator("#host-title")).to_be_visible()


# Everything a careless or hostile page can do to what the widget inherits or to elements by name.
# (Hiding <marja-chat> itself with display/hidden is the page's right: see test_layout.py.)
HOSTILE_CSS = """<style>
html, body { font-size: 0 !important; color: transparent !important; line-height: 0 !important;
             visibility: hidden !important; direction: rtl !important; letter-spacing: -3px !important;
             font-family: cursive !important; text-transform: uppercase !important;
             word-spacing: 40px !important; white-space: nowrap !important; }
* { color: transparent !important; font-size: 0 !important; line-height: 0 !important;
    box-sizing: content-box !important; --accent: transparent !important; --bg: red !important; }
marja-chat { font: 0/0 serif !important; text-align: right !important; text-indent: -9999px !important; }
mark { background: none !important; color: transparent !important; }
input, textarea, button { display: none !important; border: 0 !important; }
div, p, section, form, li, ol, h2, h3 { display: none !important; }
</style>"""


def test_hostile_host_css(service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab) -> None:
    """(e) The host page's CSS tries hard to blank everything inside: the widget is unaffected."""
    url = allowed_site.add(
        "/hostile.html",
        host_page(
            f"{service}/widget.js", f'<marja-chat endpoint="{service}"></marja-chat>', head=HOSTILE_CSS
        ),
    )
    tab = open_tab(url)
    widget = tab.widget()
    box = widget.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 400 and box["x"] >= 0, box
    turn = tab.ask(Q_EN)
    expect(turn.locator(".passage").first).to_be_visible()
    style = tab.shadow_eval(
        """(root) => {
            const css = (sel, prop) => getComputedStyle(root.querySelector(sel))[prop];
            return {
                fontSize: css('.passage .text', 'fontSize'),
                color: css('.passage .text', 'color'),
                mark: css('.passage mark', 'backgroundColor'),
                send: css('button.send', 'backgroundColor'),
                visibility: css('.chat', 'visibility'),
                direction: css('.chat', 'direction'),
                transform: css('.passage .text', 'textTransform'),
                spacing: css('.passage .text', 'letterSpacing'),
                background: css('.chat', 'backgroundColor'),
            };
        }"""
    )
    assert isinstance(style, dict)
    assert float(style["fontSize"].removesuffix("px")) >= 14, style
    assert style["color"] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    assert style["mark"] not in ("rgba(0, 0, 0, 0)", "transparent"), style
    assert style["send"] == "rgb(11, 93, 143)", style
    assert style["visibility"] == "visible" and style["direction"] == "ltr", style
    assert style["transform"] == "none" and style["spacing"] == "normal", style
    assert style["background"] == "rgb(255, 255, 255)", style
    # (the <marja-chat> box itself inherits the page's visibility: hidden, so shoot the page)
    ARTIFACTS.mkdir(exist_ok=True)
    tab.page.screenshot(path=str(ARTIFACTS / "widget-hostile-css.png"))


def test_strict_content_security_policy(
    service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """An intranet page with a strict CSP (no inline styles): the widget is styled and works."""
    csp = (
        f"default-src 'none'; script-src 'self' {service}; connect-src {service}; "
        "style-src 'self'; img-src 'none'"
    )
    url = allowed_site.add(
        "/csp.html",
        host_page(f"{service}/widget.js", f'<marja-chat endpoint="{service}"></marja-chat>'),
        **{"Content-Security-Policy": csp},
    )
    tab = open_tab(url)
    expect(tab.ask(Q_EN).locator(".passage").first).to_be_visible()
    send = tab.shadow_eval("(root) => getComputedStyle(root.querySelector('button.send')).backgroundColor")
    assert send == "rgb(11, 93, 143)"
    assert tab.page.evaluate("window.cspViolations") == []


# -- keyboard, source view, conversation ----------------------------------------------------------


def _active_class(tab: Tab) -> str:
    return str(tab.shadow_eval("(root) => root.activeElement ? root.activeElement.className : ''"))


def test_keyboard(service: str, open_tab: OpenTab) -> None:
    """(f) Enter sends, Shift+Enter is a newline, focus comes back; Escape leaves the source view."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    box = widget.locator("textarea")
    box.focus()
    tab.page.keyboard.type("Which organizations attended")
    tab.page.keyboard.press("Shift+Enter")
    tab.page.keyboard.type("the meeting in 2017?")
    assert box.input_value() == "Which organizations attended\nthe meeting in 2017?"
    expect(widget.locator(".turn")).to_have_count(0)

    tab.page.keyboard.press("Enter")
    expect(widget.locator(".turn .passage").first).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    outline = tab.shadow_eval("(root) => getComputedStyle(root.activeElement).outlineStyle")
    assert outline == "solid"  # visible focus

    # Shift+Tab from the question box goes back through the answer: its feedback buttons, then
    # the last passage's "copy" and "show source" buttons.
    for expected in ("thumb down", "thumb up", "copy", "show-source"):
        tab.page.keyboard.press("Shift+Tab")
        assert _active_class(tab) == expected
    assert tab.shadow_eval("(root) => getComputedStyle(root.activeElement).outlineStyle") == "solid"
    tab.page.keyboard.press("Enter")
    expect(widget.locator(".source")).to_be_visible()
    expect(widget.locator(".source mark.cite")).to_be_visible()
    assert _active_class(tab) == "back"

    tab.page.keyboard.press("Escape")
    expect(widget.locator(".source")).to_be_hidden()
    expect(widget.locator("[role=log]")).to_be_visible()
    assert _active_class(tab) == "show-source"


def test_show_source(service: str, open_tab: OpenTab) -> None:
    """(g) The full document, the cited span marked and scrolled into view; text[start:end] is the passage."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    with tab.page.expect_response("**/ask") as answer:
        turn = tab.ask(Q_AR)
    api_passage = answer.value.json()["passages"][0]
    first = turn.locator(".passage").first
    first.locator("button.show-source").click()

    source = widget.locator(".source")
    cite = source.locator("mark.cite")
    expect(cite.first).to_be_visible()
    expect(source.locator("h2")).to_have_text(api_passage["citation"]["title"])
    expect(cite.locator("mark.hl").first).not_to_be_empty()

    c = api_passage["citation"]
    doc = _document(tab, c["doc_id"])
    sliced = tab.page.evaluate("([t, s, e]) => t.slice(s, e)", [doc["text"], c["start"], c["end"]])
    assert sliced == api_passage["text"]
    # The marked words are the passage's, shown without their Markdown markers ("- ").
    assert _words(_cite_text(tab)) == _words(api_passage["text"])
    assert _words(first.locator(".text").text_content() or "") == _words(api_passage["text"])

    # The marked span is inside the visible part of the (scrolled) document box.
    view = tab.shadow_eval(
        """(root) => {
            const box = root.querySelector('.doc').getBoundingClientRect();
            const mark = root.querySelector('mark.cite').getClientRects()[0];
            return {scrolled: root.querySelector('.doc').scrollTop, top: mark.top - box.top,
                    height: box.height, dir: getComputedStyle(root.querySelector('.doc')).direction};
        }"""
    )
    assert isinstance(view, dict)
    assert view["scrolled"] > 0 and 0 <= view["top"] < view["height"], view
    assert view["dir"] == "rtl"
    tab.screenshot("widget-source-view.png")

    widget.locator("button.back").click()
    expect(source).to_be_hidden()
    expect(first).to_be_visible()


def test_follow_up_question(service: str, open_tab: OpenTab) -> None:
    """(h) "and in 2019?" after the 2017 question is answered about 2019 (Brussels)."""
    tab = open_tab(f"{service}/")
    bodies = tab.ask_bodies()
    first = tab.ask(Q_WHERE)
    expect(first.locator(".passage .text").first).to_contain_text(re.compile("Djibouti|جيبوتي"))
    second = tab.ask(Q_FOLLOW_UP)
    expect(second.locator(".passage .text").first).to_contain_text(re.compile("Brussels|بروكسل"))
    assert [b["previous_question"] for b in bodies] == [None, Q_WHERE]


def test_conversation_survives_reload(service: str, open_tab: OpenTab) -> None:
    """(i) The conversation is restored after a reload and still feeds previous_question."""
    tab = open_tab(f"{service}/")
    bodies = tab.ask_bodies()
    widget = tab.widget()
    turn = tab.ask(Q_WHERE)
    passage_text = turn.locator(".passage .text").first.text_content()

    tab.page.reload()
    expect(widget.locator(".turn")).to_have_count(1)
    expect(widget.locator(".turn .question")).to_have_text(Q_WHERE)
    expect(widget.locator(".passage .text").first).to_have_text(passage_text or "")
    expect(widget.locator(".passage .text mark").first).not_to_be_empty()

    second = tab.ask(Q_FOLLOW_UP)
    expect(second.locator(".passage .text").first).to_contain_text(re.compile("Brussels|بروكسل"))
    assert bodies[-1]["previous_question"] == Q_WHERE

    widget.locator("button.new").click()
    expect(widget.locator(".turn")).to_have_count(0)
    expect(widget.locator("textarea")).to_be_focused()
    tab.page.reload()
    expect(widget.locator(".intro")).to_be_visible()
    expect(widget.locator(".turn")).to_have_count(0)
