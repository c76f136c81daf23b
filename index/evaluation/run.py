"""Ask every question of a set, and compare two runs question by question."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from core.errors import EmptyIndex, InvalidQuery
from core.limits import MAX_TOP_K
from index.collection import Collection
from index.evaluation.metrics import QuestionResult, Summary, summarize
from index.evaluation.questions import EvalQuestion

logger = logging.getLogger(__name__)


EvalProgress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each question."""


@dataclass(frozen=True)
class EvalRun:
    """One question set asked of one collection."""

    data_dir: str
    model_id: str
    version: str | None
    documents: int
    results: list[QuestionResult]
    summary: Summary


def _no_progress(done: int, total: int) -> None:
    """Report nothing."""


def evaluate(
    collection: Collection,
    questions: Sequence[EvalQuestion],
    *,
    top_k: int = 10,
    progress: EvalProgress = _no_progress,
) -> EvalRun:
    """Ask each question (with its filters) and find where its first hit ranks.

    Every question is answered from the version current when the run starts. The model is
    loaded before the first question is timed.
    """
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidQuery(f"top-k must be between 1 and {MAX_TOP_K}")
    collection.embedder.warm_up()
    snapshot = collection.snapshot()
    if snapshot.is_empty:
        raise EmptyIndex(f"the index in {collection.data_dir} is empty: ingest documents first")
    results = []
    for done, question in enumerate(questions, start=1):
        started = time.perf_counter()
        answer = collection.ask(question.question, top_k=top_k, filters=question.filters)
        seconds = time.perf_counter() - started
        if answer.version != snapshot.version:
            logger.warning("the index changed during the evaluation (now %s)", answer.version)
        answered = getattr(answer, "answered", None)
        results.append(
            QuestionResult(
                question=question,
                lang=question.lang or answer.lang,
                rank=question.rule.first_hit(answer.hits) if question.answerable else None,
                first=answer.hits[0] if answer.hits else None,
                seconds=seconds,
                answered=answered if isinstance(answered, bool) else None,
            )
        )
        progress(done, len(questions))
    return EvalRun(
        data_dir=str(collection.data_dir),
        model_id=collection.embedder.model_id,
        version=snapshot.version,
        documents=len(snapshot.manifest.documents),
        results=results,
        summary=summarize(results, top_k=top_k),
    )


Status = Literal["gained", "lost", "better", "worse", "same"]


@dataclass(frozen=True)
class Change:
    """How one answerable question fared in two runs."""

    question: EvalQuestion
    lang: str
    before: int | None
    """Its rank in the first run (None: not in the top k)."""
    after: int | None

    @property
    def status(self) -> Status:
        if self.before is None and self.after is not None:
            return "gained"
        if self.before is not None and self.after is None:
            return "lost"
        if self.before is None or self.after is None or self.before == self.after:
            return "same"
        return "better" if self.after < self.before else "worse"


def compare(before: EvalRun, after: EvalRun) -> list[Change]:
    """Question by question: what ``after`` found that ``before`` did not, and the reverse."""
    if [r.question for r in before.results] != [r.question for r in after.results]:
        raise ValueError("the two runs asked different questions")
    return [
        Change(question=a.question, lang=a.lang, before=a.rank, after=b.rank)
        for a, b in zip(before.results, after.results, strict=True)
        if a.question.answerable
    ]
