"""When nothing answers: the widget says so, keeps the nearest passages folded, shows match strength.

Everything here is the live service's own answer: ``answered`` and each passage's ``answers`` come
from its calibrated confidence and threshold (see the README's "Saying when nothing answers").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from service.feedback_store import FeedbackStore
from tests.browser.conftest import Tab, axe_violations

pytestmark = pytest.mark.browser

OFF_TOPIC_EN = "What is the capital of Japan?"
OFF_TOPIC_AR = "ما هي عاصمة اليابان؟"
Q_EN = "Which organizations attended the meeting in 2017?"
OpenTab = Callable[..., Tab]
RAW_NUMBER = re.compile(r"\b0?\.\d{2,}\b")


@pytest.mark.parametrize(
    ("locale", "question", "says", "closest"),
    [
        ("en-US", OFF_TOPIC_EN, "No passage answers this question.", "Closest passages"),
        ("ar-EG", OFF_TOPIC_AR, "لا يوجد مقطع يجيب عن هذا السؤال.", "أقرب المقاطع"),
    ],
)
def test_no_answer_state(
    service: str, open_tab: OpenTab, locale: str, question: str, says: str, closest: str
) -> None:
    tab = open_tab(f"{service}/", locale=locale)
    widget = tab.widget()
    turn = tab.ask(question)
    expect(turn.locator(".none")).to_have_text(says)
    expect(widget.get_by_role("status")).to_have_text(says)
    folded = turn.locator("details.closest")
    expect(folded).not_to_have_attribute("open", "")
    expect(folded.locator("summary")).to_have_text(closest)
    expect(turn.locator(".passage").first).to_be_hidden()
    folded.locator("summary").click()
    expect(turn.locator(".passage")).to_have_count(3)
    expect(turn.locator(".passage").first).to_be_visible()
    weak = "Weak match" if locale == "en-US" else "تطابق ضعيف"
    expect(turn.locator(".passage .tag")).to_have_text([weak] * 3)
    expect(turn.locator(".passage mark")).to_have_count(0)  # nothing in them answers
    assert not RAW_NUMBER.search(turn.locator(".answer").text_content() or "")
    assert axe_violations(tab.page) == []
    tab.screenshot(f"widget-no-answer-{locale[:2]}.png")


def test_strong_and_weak_matches_never_show_scores(service: str, open_tab: OpenTab) -> None:
    tab = open_tab(f"{service}/")
    answers = tab.ask_answers()
    turn = tab.ask(Q_EN)
    expect(turn.locator(".none")).to_have_count(0)
    expect(turn.locator("details")).to_have_count(0)
    tags = turn.locator(".passage .tag")
    expect(tags.first).to_have_text("Strong match")
    texts = tags.all_text_contents()
    (body,) = answers
    assert body["answered"] and len(texts) == len(body["passages"]) == 3
    # Each tag says what the service said of that passage: strong where its confidence reaches
    # the answer threshold.
    assert texts == ["Strong match" if p["answers"] else "Weak match" for p in body["passages"]]
    meta = " ".join(turn.locator(".passage .meta").all_text_contents())
    assert not RAW_NUMBER.search(meta), meta
    expect(tab.widget().get_by_role("status")).to_have_text(re.compile(r"^3 passages from "))


def test_agreeing_that_nothing_answers(service: str, index_dir: Path, open_tab: OpenTab) -> None:
    """A thumbs up on "no passage answers" is stored as such (and exports as answerable: false)."""
    tab = open_tab(f"{service}/")
    turn = tab.ask(OFF_TOPIC_EN)
    feedback = turn.locator(".feedback")
    feedback.get_by_role("button", name="Helpful", exact=True).click()
    expect(feedback.get_by_role("radio")).to_have_count(0)
    feedback.get_by_role("button", name="Send feedback").click()
    expect(feedback).to_have_text("Thanks, your feedback was recorded.")
    row = FeedbackStore(index_dir, max_rows=10**6).list(limit=10_000)[-1]
    assert (row.question, row.verdict, row.answered, row.approved) == (OFF_TOPIC_EN, "up", False, None)
