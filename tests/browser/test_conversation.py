"""A conversation as people have it: retries, long questions, impatience, chains of follow-ups."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import Tab

pytestmark = pytest.mark.browser

Q_EN = "Which organizations attended the meeting in 2017?"
Q_WHERE = "Where was the meeting held in 2017?"
OpenTab = Callable[..., Tab]


def _wait_until(tab: Tab, condition: Callable[[], bool], seconds: float = 20) -> None:
    """Let the page run (and Playwright deliver its events) until ``condition()`` holds."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        tab.page.wait_for_timeout(50)
    raise AssertionError("condition not met in time")


def _send(tab: Tab, question: str) -> None:
    box = tab.widget().locator("textarea")
    box.fill(question)
    box.press("Enter")


def test_one_error_with_retry(service: str, open_tab: OpenTab) -> None:
    """Failed attempts never pile up: one question, one error, a Retry button that answers it."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    cut: list[str] = []

    def drop(route: Route) -> None:  # the connection breaks while asking (the service stays up)
        cut.append(route.request.url)
        route.abort("connectionreset")

    tab.page.route("**/ask", drop)
    turn = tab.ask(Q_EN)
    error = turn.locator(".error")
    expect(error).to_contain_text("The connection to the service was interrupted")
    expect(turn.locator("button.retry")).to_be_focused()

    # Asking again (the same or another question) replaces the failed turn.
    _send(tab, Q_WHERE)
    expect(widget.locator(".turn .question")).to_have_text(Q_WHERE)
    expect(widget.locator(".turn")).to_have_count(1)
    expect(widget.locator(".error")).to_have_count(1)
    expect(widget.locator("[role=log]")).to_have_attribute("aria-busy", "false")
    widget.locator("button.retry").click()
    expect(widget.locator("[role=log]")).to_have_attribute("aria-busy", "false")
    expect(widget.locator(".turn")).to_have_count(1)
    expect(widget.locator(".error")).to_have_count(1)
    assert len(cut) == 3

    tab.page.unroute("**/ask")
    widget.locator("button.retry").click()
    expect(widget.locator(".turn .passage").first).to_contain_text("Djibouti")
    expect(widget.locator(".turn")).to_have_count(1)
    expect(widget.locator(".error")).to_have_count(0)
    expect(widget.locator("textarea")).to_be_focused()


def test_question_length_is_enforced(service: str, open_tab: OpenTab) -> None:
    """2,000 characters at most, with a counter from 1,800 on; a question at the limit is answered."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    box = widget.locator("textarea")
    count = widget.locator(".count")
    expect(box).to_have_attribute("maxlength", "2000")

    box.fill("x" * 1799)
    expect(count).to_be_hidden()
    box.fill("x" * 1800)
    expect(count).to_be_visible()
    expect(count).to_have_text("1,800 / 2,000")
    assert "count" in (box.get_attribute("aria-describedby") or "")

    long_question = (Q_EN + " ") * 60  # 3,000 characters, pasted
    box.fill("")
    box.focus()
    tab.page.keyboard.insert_text(long_question)
    assert len(box.input_value()) == 2000
    expect(count).to_have_text(re.compile(r"^2,000 / 2,000 · Questions are limited to 2,000 characters\.$"))
    expect(widget.locator("[role=status]")).to_have_text("Questions are limited to 2,000 characters.")

    box.press("Enter")
    turn = widget.locator(".turn").first
    # Answered, or (the same sentence sixty times over) the nearest passages folded: no error.
    expect(turn.locator(".passage").first).to_be_attached()
    expect(turn.locator(".error")).to_have_count(0)
    expect(count).to_be_hidden()


def test_enter_while_loading_queues_the_question(service: str, open_tab: OpenTab) -> None:
    """A question sent while another is being answered waits its turn, then goes as a follow-up."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    bodies = tab.ask_bodies()
    held: list[Route] = []
    tab.page.route("**/ask", lambda route: held.append(route))

    _send(tab, Q_WHERE)
    expect(widget.locator(".loading")).to_be_visible()
    _send(tab, "and in 2019?")
    turns = widget.locator(".turn")
    expect(turns).to_have_count(2)
    expect(turns.nth(1).locator(".waiting")).to_have_text("Waiting for the previous answer…")
    expect(widget.locator("textarea")).to_have_value("")
    assert len(held) == 1  # the second waits in the widget, not on the wire

    held[0].continue_()
    expect(turns.nth(0).locator(".passage").first).to_be_visible()
    _wait_until(tab, lambda: len(held) == 2)  # sent once the first answer is in
    held[1].continue_()
    expect(turns.nth(0).locator(".passage").first).to_contain_text(re.compile("Djibouti|جيبوتي"))
    expect(turns.nth(1).locator(".passage").first).to_contain_text(re.compile("Brussels|بروكسل"))
    assert [b["question"] for b in bodies] == [Q_WHERE, "and in 2019?"]
    assert bodies[1]["previous_question"] == Q_WHERE


def test_new_conversation_while_loading_cancels(service: str, open_tab: OpenTab) -> None:
    """The "New conversation" button during an answer cancels it (and what waits behind it) and starts afresh."""
    tab = open_tab(f"{service}/")
    widget = tab.widget()
    held: list[Route] = []
    tab.page.route("**/ask", lambda route: held.append(route))
    _send(tab, Q_WHERE)
    _send(tab, "and in 2019?")
    expect(widget.locator(".turn")).to_have_count(2)
    failed: list[str] = []
    tab.page.on("requestfailed", lambda r: failed.append(r.url))

    widget.locator("button.new").click()
    expect(widget.locator(".turn")).to_have_count(0)
    expect(widget.locator(".intro")).to_be_visible()
    expect(widget.locator("[role=status]")).to_have_text("New conversation started.")
    expect(widget.locator("[role=log]")).to_have_attribute("aria-busy", "false")
    _wait_until(tab, lambda: any(url.endswith("/ask") for url in failed))  # the request was aborted

    tab.page.unroute("**/ask")
    turn = tab.ask(Q_EN)
    expect(turn.locator(".passage").first).to_contain_text("Djibouti")
    expect(widget.locator(".turn")).to_have_count(1)


def test_chained_follow_ups_keep_the_subject(service: str, open_tab: OpenTab) -> None:
    """2017 → "and in 2019?" → "and in 2023?": each short follow-up is asked about the first question."""
    tab = open_tab(f"{service}/")
    bodies = tab.ask_bodies()
    first = "Which organizations attended the meeting in 2017?"
    # The first passage is about the year asked (an English summary or the Arabic page's item).
    expect(tab.ask(first).locator(".passage").first).to_contain_text(re.compile("2017|٢٠١٧"))
    expect(tab.ask("and in 2019?").locator(".passage").first).to_contain_text(re.compile("2019|٢٠١٩"))
    third = tab.ask("and in 2023?")
    expect(third.locator(".passage").first).to_contain_text(re.compile("2023|٢٠٢٣"))
    expect(third.locator(".passage .text").first).to_contain_text(re.compile("organi[sz]ations|منظم"))
    assert [b["previous_question"] for b in bodies] == [None, first, first]

    # A new full question becomes the subject of the follow-ups after it.
    new_subject = "Where was the technical workshop on mediation held in 2018?"
    tab.ask(new_subject)
    tab.ask("and in 2021?")
    assert [b["previous_question"] for b in bodies[3:]] == [first, new_subject]

    # The chain survives a reload.
    tab.page.reload()
    tab.ask("and in 2023?")
    assert bodies[-1]["previous_question"] == new_subject
