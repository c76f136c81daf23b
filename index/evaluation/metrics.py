"""Recall@k, MRR, answered/abstained rates and latency of one evaluation run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.evaluation.questions import EvalQuestion
from index.search import Hit

KS = (1, 3, 5, 10)
"""The recall cut-offs reported (those not above the run's top-k)."""
MRR_AT = 10


@dataclass(frozen=True)
class QuestionResult:
    question: EvalQuestion
    lang: str
    """The language it is counted under: the question set's ``lang``, else the detected one."""
    rank: int | None
    """Rank of the first passage that hits (1-based, within top-k); None if none does."""
    first: Hit | None
    """What came first."""
    seconds: float
    answered: bool | None = None
    """Whether marja answered or abstained; None when the ask result does not say."""

    @property
    def miss(self) -> bool:
        """Not a hit at rank 1 (answerable), or answered when it should have abstained."""
        if self.question.answerable:
            return self.rank != 1
        return self.answered is True


@dataclass(frozen=True)
class Scores:
    questions: int
    recall: dict[int, float]
    mrr: float


@dataclass(frozen=True)
class Summary:
    top_k: int
    ks: tuple[int, ...]
    mrr_at: int
    questions: int
    unanswerable: int
    overall: Scores
    by_lang: dict[str, Scores]
    answered_rate: float | None
    """Share of the answerable questions that were answered (None: the ask result does not say)."""
    abstained_rate: float | None
    """Share of the unanswerable questions abstained on (None: none, or the result does not say)."""
    latency_p50_ms: float
    latency_p95_ms: float


def _scores(results: Sequence[QuestionResult], ks: Sequence[int], mrr_at: int) -> Scores:
    ranks = [r.rank for r in results if r.question.answerable]
    n = len(ranks)
    if n == 0:
        return Scores(questions=0, recall={k: 0.0 for k in ks}, mrr=0.0)
    recall = {k: sum(1 for rank in ranks if rank is not None and rank <= k) / n for k in ks}
    mrr = sum(1 / rank for rank in ranks if rank is not None and rank <= mrr_at) / n
    return Scores(questions=n, recall=recall, mrr=mrr)


def _rate(flags: Sequence[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    if not known or len(known) != len(flags):
        return None
    return sum(known) / len(known)


def summarize(results: Sequence[QuestionResult], *, top_k: int) -> Summary:
    ks = tuple(k for k in KS if k <= top_k)
    mrr_at = min(MRR_AT, top_k)
    languages = sorted({r.lang for r in results if r.question.answerable})
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    abstained = _rate([None if r.answered is None else not r.answered for r in unanswerable])
    millis = np.array([r.seconds * 1000 for r in results]) if results else np.zeros(1)
    return Summary(
        top_k=top_k,
        ks=ks,
        mrr_at=mrr_at,
        questions=len(results),
        unanswerable=len(unanswerable),
        overall=_scores(results, ks, mrr_at),
        by_lang={lang: _scores([r for r in results if r.lang == lang], ks, mrr_at) for lang in languages},
        answered_rate=_rate([r.answered for r in answerable]),
        abstained_rate=abstained,
        latency_p50_ms=float(np.percentile(millis, 50)),
        latency_p95_ms=float(np.percentile(millis, 95)),
    )


@dataclass(frozen=True)
class Threshold:
    k: int
    minimum: float
    value: float | None
    """None when the run did not measure recall at ``k`` (top-k below it)."""

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.minimum


def check_thresholds(summary: Summary, minimums: Mapping[int, float]) -> list[Threshold]:
    """Overall recall@k against each minimum (``{1: 0.9, 5: 0.95}``)."""
    return [
        Threshold(k=k, minimum=minimum, value=summary.overall.recall.get(k))
        for k, minimum in sorted(minimums.items())
    ]
