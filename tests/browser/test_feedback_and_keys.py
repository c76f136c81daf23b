"""Thumbs up/down from the widget into the feedback store; publishable keys on other origins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from service.feedback_store import FeedbackStore
from tests.browser.conftest import HostSite, Tab, host_page, serving

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
OpenTab = Callable[..., Tab]
WIDGET_KEY = "pk_test_widget_0123456789abcdef"
READ_KEY = "read-key-for-tests-0123456789"


def _rows(index_dir: Path) -> list:
    return FeedbackStore(index_dir, max_rows=10**6).list(limit=1000)


def test_thumbs_up_with_the_passage_that_answered(service: str, index_dir: Path, open_tab: OpenTab) -> None:
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    before = len(_rows(index_dir))
    with tab.page.expect_response("**/ask") as answer:
        turn = tab.ask(Q_EN)
    shown = answer.value.json()["passages"]
    feedback = turn.locator(".feedback")
    expect(feedback).to_contain_text("Was this answer helpful?")
    feedback.get_by_role("button", name="Helpful", exact=True).click()
    expect(feedback.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    group = feedback.get_by_role("group", name="Which passage answered?")
    expect(group.get_by_role("radio")).to_have_count(3)
    expect(group.get_by_role("radio", name="Passage 1")).to_be_checked()
    group.get_by_role("radio", name="Passage 2").check()
    comment = feedback.get_by_role("textbox", name="Comment (optional)")
    expect(comment).to_have_attribute("maxlength", "500")
    comment.fill("The second passage lists them all.")
    with tab.page.expect_response("**/feedback") as posted:
        feedback.get_by_role("button", name="Send feedback").click()
    assert posted.value.status == 201
    expect(feedback).to_have_text("Thanks, your feedback was recorded.")
    expect(widget.get_by_role("status")).to_have_text("Thanks, your feedback was recorded.")

    rows = _rows(index_dir)
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.verdict, row.question, row.lang, row.approved, row.comment) == (
        "up",
        Q_EN,
        "en",
        1,
        "The second passage lists them all.",
    )
    assert [(p.doc_id, p.start, p.end) for p in row.passages] == [
        (p["citation"]["doc_id"], p["citation"]["start"], p["citation"]["end"]) for p in shown
    ]
    assert row.index_version  # the version the service was serving

    # Sent once: after a reload the answer shows the thanks, not the buttons.
    tab.page.reload()
    expect(widget.locator(".turn .feedback")).to_have_text("Thanks, your feedback was recorded.")
    expect(widget.locator("button.thumb")).to_have_count(0)


def test_thumbs_down_in_arabic_and_a_failed_send(service: str, index_dir: Path, open_tab: OpenTab) -> None:
    tab = open_tab(f"{service}/", locale="ar-EG")
    turn = tab.ask(Q_AR)
    feedback = turn.locator(".feedback")
    feedback.get_by_role("button", name="غير مفيدة").click()
    expect(feedback.get_by_role("radio")).to_have_count(0)  # a thumbs down approves nothing
    feedback.get_by_role("textbox", name="تعليق (اختياري)").fill("المقاطع عن اجتماع آخر")

    tab.page.route("**/feedback", lambda route: route.abort("connectionreset"))
    feedback.get_by_role("button", name="إرسال الملاحظة").click()
    expect(feedback.get_by_role("alert")).to_contain_text("لم تُرسل ملاحظتك")
    tab.page.unroute("**/feedback")
    before = len(_rows(index_dir))
    feedback.get_by_role("button", name="إرسال الملاحظة").click()
    expect(feedback).to_have_text("شكرًا، سُجّلت ملاحظتك.")
    row = _rows(index_dir)[-1]
    assert len(_rows(index_dir)) == before + 1
    assert (row.verdict, row.question, row.lang, row.approved, row.comment) == (
        "down",
        Q_AR,
        "ar",
        None,
        "المقاطع عن اجتماع آخر",
    )


def test_cancel_closes_the_form(service: str, open_tab: OpenTab) -> None:
    tab = open_tab(f"{service}/")
    feedback = tab.ask(Q_EN).locator(".feedback")
    up = feedback.get_by_role("button", name="Helpful", exact=True)
    up.click()
    expect(feedback.locator("form")).to_be_visible()
    sent: list[str] = []
    tab.page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/feedback") else None)
    feedback.get_by_role("button", name="Cancel").click()
    expect(feedback.locator("form")).to_have_count(0)
    expect(up).to_be_focused()
    expect(up).to_have_attribute("aria-pressed", "false")
    assert sent == []


# -- publishable widget keys ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed_service(
    index_dir: Path, allowed_site: HostSite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Reads need a key; one widget key is bound to ``allowed_site``; no MARJA_CORS_ORIGINS."""
    log = tmp_path_factory.mktemp("keyed-serve") / "serve.log"
    keys = f'{{"{WIDGET_KEY}": ["{allowed_site.origin}"]}}'
    with serving(index_dir, log, MARJA_READ_API_KEYS=READ_KEY, MARJA_WIDGET_KEYS=keys) as url:
        yield url


def test_a_widget_key_works_on_its_page(
    keyed_service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """A deployment with protected reads: the page the key is bound to asks, opens sources, votes."""
    url = allowed_site.add(
        "/keyed.html",
        host_page(
            f"{keyed_service}/widget.js",
            f'<marja-chat endpoint="{keyed_service}" key="{WIDGET_KEY}"></marja-chat>',
        ),
    )
    tab = open_tab(url)
    keys: list[str | None] = []
    tab.page.on(
        "request", lambda r: keys.append(r.headers.get("x-widget-key")) if keyed_service in r.url else None
    )
    turn = tab.ask(Q_EN)
    expect(turn.locator(".passage").first).to_contain_text("Djibouti")
    turn.locator("button.show-source").first.click()
    expect(tab.widget().locator(".source mark.cite").first).to_be_visible()
    tab.widget().locator("button.back").click()
    turn.locator("button.thumb.down").click()
    with tab.page.expect_response("**/feedback") as posted:
        turn.get_by_role("button", name="Send feedback").click()
    assert posted.value.status == 201
    assert keys and set(keys) == {WIDGET_KEY}


def test_a_widget_key_on_another_page_is_refused(
    keyed_service: str, blocked_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    """The same key copied onto another site: the widget says the address is not allowed."""
    url = blocked_site.add(
        "/copied.html",
        host_page(
            f"{keyed_service}/widget.js",
            f'<marja-chat endpoint="{keyed_service}" key="{WIDGET_KEY}"></marja-chat>',
        ),
    )
    tab = open_tab(url)
    turn = tab.ask(Q_EN)
    expect(turn.locator(".error")).to_contain_text(
        f"This page's address ({blocked_site.origin}) is not allowed to use this widget key "
        "(ask the administrator to add it to the key's origins in MARJA_WIDGET_KEYS)."
    )
    expect(turn.locator(".passage")).to_have_count(0)


def test_without_its_key_the_page_is_told_why(
    keyed_service: str, allowed_site: HostSite, host_js: None, open_tab: OpenTab
) -> None:
    url = allowed_site.add(
        "/keyless.html",
        host_page(f"{keyed_service}/widget.js", f'<marja-chat endpoint="{keyed_service}"></marja-chat>'),
    )
    tab = open_tab(url)
    turn = tab.ask(Q_EN)
    expect(turn.locator(".error")).to_contain_text("(401)")
    expect(turn.locator(".error")).to_contain_text("this deployment needs an API key to read")
