"""/docs works with no network beyond this server, and no page breaks its own CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Request, Route, expect


def test_docs_work_offline_in_chromium(service: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    server = urlsplit(service).netloc
    blocked: list[str] = []
    violations: list[str] = []

    def only_this_server(route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc == server or request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{service}/docs")
    expect(page.locator(".opblock-summary-path", has_text="/ask").first).to_be_visible(timeout=30_000)
    page.locator(".opblock-summary", has_text="/ask").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert blocked == [], f"/docs asked another origin for {blocked}"
    assert violations == [], violations
    context.close()


def test_the_demo_page_runs_under_its_csp(service: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{service}/")
    box = page.locator("marja-chat textarea").first
    expect(box).to_be_visible()
    box.fill("Where was the 2017 meeting held?")
    box.press("Enter")
    expect(page.locator("marja-chat .passages").first).to_be_visible(timeout=30_000)
    assert violations == [], violations
    context.close()
