"""Recall@k, MRR, per-language figures, answered/abstained rates, latency, thresholds."""

from __future__ import annotations

import pytest

from index.evaluation.metrics import QuestionResult, check_thresholds, summarize
from index.evaluation.questions import EvalQuestion
from index.evaluation.rules import HitRule


def result(
    rank: int | None,
    *,
    lang: str = "en",
    ms: float = 10.0,
    answerable: bool = True,
    answered: bool | None = None,
) -> QuestionResult:
    question = EvalQuestion(
        where="line 1",
        question="q",
        rule=HitRule(years=(2017,)) if answerable else HitRule(),
        answerable=answerable,
    )
    return QuestionResult(
        question=question, lang=lang, rank=rank, first=None, seconds=ms / 1000, answered=answered
    )


def test_recall_and_mrr_overall_and_per_language() -> None:
    results = [
        result(1, lang="en"),
        result(2, lang="en"),
        result(None, lang="en"),
        result(4, lang="en"),
        result(1, lang="ar"),
        result(11, lang="ar"),  # found, but past the MRR cut-off
        result(None, lang="ar", answerable=False),  # not counted in recall
    ]
    s = summarize(results, top_k=20)
    assert s.ks == (1, 3, 5, 10) and s.mrr_at == 10
    assert s.questions == 7 and s.unanswerable == 1
    assert s.overall.questions == 6
    assert s.overall.recall == pytest.approx({1: 2 / 6, 3: 3 / 6, 5: 4 / 6, 10: 4 / 6})
    assert s.overall.mrr == pytest.approx((1 + 1 / 2 + 1 / 4 + 1) / 6)
    assert s.by_lang["en"].recall[1] == pytest.approx(1 / 4)
    assert s.by_lang["ar"].recall == pytest.approx({1: 0.5, 3: 0.5, 5: 0.5, 10: 0.5})
    assert s.by_lang["ar"].mrr == pytest.approx(0.5)


def test_cut_offs_follow_top_k() -> None:
    s = summarize([result(1), result(3)], top_k=3)
    assert s.ks == (1, 3) and s.mrr_at == 3
    assert s.overall.recall == {1: 0.5, 3: 1.0}


def test_rates_are_absent_until_the_ask_result_says_whether_it_answered() -> None:
    s = summarize([result(1), result(None, answerable=False)], top_k=10)
    assert s.answered_rate is None and s.abstained_rate is None


def test_answered_and_abstained_rates() -> None:
    results = [
        result(1, answered=True),
        result(2, answered=True),
        result(None, answered=False),
        result(None, answered=True),
        result(None, answerable=False, answered=False),
        result(None, answerable=False, answered=True),
    ]
    s = summarize(results, top_k=10)
    assert s.answered_rate == pytest.approx(3 / 4)
    assert s.abstained_rate == pytest.approx(1 / 2)
    assert [r.miss for r in results] == [False, True, True, True, False, True]


def test_latency_percentiles() -> None:
    s = summarize([result(1, ms=float(ms)) for ms in range(1, 101)], top_k=10)
    assert s.latency_p50_ms == pytest.approx(50.5)
    assert s.latency_p95_ms == pytest.approx(95.05)


def test_thresholds() -> None:
    s = summarize([result(1), result(1), result(4), result(None)], top_k=10)
    t1, t5 = check_thresholds(s, {5: 0.8, 1: 0.5})
    assert (t1.k, t1.value, t1.passed) == (1, 0.5, True)  # at the minimum passes
    assert (t5.k, t5.value, t5.passed) == (5, 0.75, False)
    (unmeasured,) = check_thresholds(summarize([result(1)], top_k=3), {5: 0.1})
    assert unmeasured.value is None and not unmeasured.passed
