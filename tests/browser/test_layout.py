"""The widget's size and place: it fits the window, obeys the page's hiding, keeps scroll inside."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import HostSite, Tab, host_page

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
OpenTab = Callable[..., Tab]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def _in_viewport(page: Page, selector: str) -> bool:
    """The element's whole box is inside the window, as laid out now."""
    return bool(
        page.evaluate(
            """(sel) => {
                const root = document.querySelector('marja-chat').shadowRoot;
                const r = root.querySelector(sel).getBoundingClientRect();
                return r.width > 0 && r.top >= 0 && r.left >= 0
                    && r.bottom <= innerHeight && r.right <= innerWidth;
            }""",
            selector,
        )
    )


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone-390x844", "desktop-1280x800"])
def test_demo_page_fits_the_window(service: str, browser: Browser, device: dict) -> None:
    """On load and after a long answer, the question box and Send are on screen, unscrolled."""
    context = browser.new_context(**device)
    try:
        page = context.new_page()
        page.goto(f"{service}/")
        box = page.locator("marja-chat textarea")
        expect(box).to_be_visible()
        assert page.evaluate("scrollY") == 0
        assert _in_viewport(page, "textarea") and _in_viewport(page, "button.send")
        box.fill(Q_EN)
        box.press("Enter")
        expect(page.locator("marja-chat .passage").first).to_be_visible()
        assert page.evaluate("scrollY") == 0
        assert _in_viewport(page, "textarea") and _in_viewport(page, "button.send")
        # The answer is longer than the log: it scrolls inside the widget, not the page.
        assert page.evaluate(
            "() => { const l = document.querySelector('marja-chat').shadowRoot.querySelector('.log');"
            " return l.scrollHeight > l.clientHeight; }"
        )
    finally:
        context.close()


def test_height_attribute_and_property(
    service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """`height` wins over --marja-height; the default is 640 px; never taller than the window."""
    url = allowed_site.add(
        "/heights.html",
        host_page(
            f"{service}/widget.js",
            f'<marja-chat id="attr" endpoint="{service}" height="420"></marja-chat>'
            f'<marja-chat id="css" endpoint="{service}" height="50vh" style="--marja-height: 300px"></marja-chat>'
            f'<marja-chat id="prop" endpoint="{service}" style="--marja-height: 500px"></marja-chat>'
            f'<marja-chat id="default" endpoint="{service}"></marja-chat>'
            f'<marja-chat id="tall" endpoint="{service}" height="5000px"></marja-chat>'
            f'<marja-chat id="junk" endpoint="{service}" height="url(x)"></marja-chat>',
        ),
    )
    tab = open_tab(url)  # a 1000×860 window
    heights = {
        name: (tab.widget(f"#{name}").bounding_box() or {}).get("height")
        for name in ("attr", "css", "prop", "default", "tall", "junk")
    }
    assert heights == {"attr": 420, "css": 430, "prop": 500, "default": 640, "tall": 860, "junk": 640}
    tab.page.evaluate("document.querySelector('#attr').setAttribute('height', '360px')")
    expect(tab.widget("#attr")).to_have_js_property("offsetHeight", 360)


def test_page_can_hide_the_widget(
    service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """`hidden`, a page rule `display: none` and an inline style all hide <marja-chat>."""
    url = allowed_site.add(
        "/hidden.html",
        host_page(
            f"{service}/widget.js",
            f'<marja-chat id="shown" endpoint="{service}"></marja-chat>'
            f'<marja-chat id="attr" endpoint="{service}" hidden></marja-chat>'
            f'<marja-chat id="rule" class="closed" endpoint="{service}"></marja-chat>'
            f'<marja-chat id="inline" endpoint="{service}" style="display: none"></marja-chat>',
            head="<style>marja-chat.closed { display: none; }</style>",
        ),
    )
    tab = open_tab(url)
    expect(tab.widget("#shown")).to_be_visible()
    for name in ("attr", "rule", "inline"):
        expect(tab.widget(f"#{name}")).to_be_hidden()
        expect(tab.widget(f"#{name}").locator("textarea")).to_be_hidden()
    # ... and showing it again works
    tab.page.evaluate(
        """() => {
            document.querySelector('#attr').hidden = false;
            document.querySelector('#rule').classList.remove('closed');
            document.querySelector('#inline').style.display = '';
            document.querySelector('#shown').hidden = true;
        }"""
    )
    for name in ("attr", "rule", "inline"):
        expect(tab.widget(f"#{name}").locator("textarea")).to_be_visible()
    expect(tab.widget("#shown")).to_be_hidden()


def test_scroll_stays_inside_the_log(
    service: str, allowed_site: HostSite, host_js: None, browser: Browser
) -> None:
    """Wheeling past the end of the log does not scroll the page (overscroll-behavior: contain)."""
    url = allowed_site.add(
        "/scroll.html",
        host_page(
            f"{service}/widget.js",
            f'<div style="height: 200px"></div><marja-chat endpoint="{service}" height="500"></marja-chat>'
            '<div style="height: 3000px"></div>',
        ),
    )
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.goto(url)
        box = page.locator("marja-chat textarea")
        box.fill(Q_EN)
        box.press("Enter")
        expect(page.locator("marja-chat .passage").first).to_be_visible()
        page.evaluate("window.scrollTo(0, 100)")
        log = page.locator("marja-chat .log").bounding_box()
        assert log
        page.mouse.move(log["x"] + log["width"] / 2, log["y"] + log["height"] / 2)
        for _ in range(15):  # well past the end of the log
            page.mouse.wheel(0, 400)
            page.wait_for_timeout(30)
        page.wait_for_timeout(300)
        at_end = page.evaluate(
            "() => { const l = document.querySelector('marja-chat').shadowRoot.querySelector('.log');"
            " return l.scrollTop + l.clientHeight >= l.scrollHeight - 2; }"
        )
        assert at_end
        assert page.evaluate("scrollY") == 100
        # The same wheel over the page itself does scroll it (the check above can fail).
        page.mouse.move(5, 5)
        page.mouse.wheel(0, 400)
        page.wait_for_function("scrollY > 100")
    finally:
        context.close()


def test_tap_targets_on_a_touch_screen(service: str, browser: Browser) -> None:
    """On a phone every button and link of the widget is at least 44×44 CSS pixels."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{service}/")
        box = page.locator("marja-chat textarea")
        box.fill(Q_EN)
        box.press("Enter")
        expect(page.locator("marja-chat .passage").first).to_be_visible()
        page.locator("marja-chat button.thumb.up").click()
        expect(page.locator("marja-chat .feedback form")).to_be_visible()
        sizes_js = """() => [...document.querySelector('marja-chat').shadowRoot
                .querySelectorAll('button, a[href], input[type=radio]')]
            .filter((e) => e.getClientRects().length)
            .map((e) => { const r = (e.closest('label') || e).getBoundingClientRect();
                          return [e.className || e.type, Math.round(r.width), Math.round(r.height)]; })"""
        sizes = page.evaluate(sizes_js)
        page.locator("marja-chat button.show-source").first.click()
        expect(page.locator("marja-chat button.back")).to_be_visible()
        sizes += page.evaluate(sizes_js)
        classes = {s[0] for s in sizes}
        assert {"new", "show-source", "copy", "thumb up", "thumb down", "send", "back", "radio"} <= classes, (
            sizes
        )
        small = [s for s in sizes if s[1] < 44 or s[2] < 44]
        assert small == [], small
    finally:
        context.close()
