"""The evaluation report (``marja eval --json``): what the text and HTML reports are made from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EvalScores(BaseModel):
    questions: int = Field(description="Answerable questions counted.")
    recall: dict[str, float] = Field(description="Recall at each cut-off: {'1': 0.96, '3': ...}.")
    mrr: float


class EvalPassage(BaseModel):
    doc_id: str
    title: str
    start: int
    end: int
    text: str = Field(description="The passage, shortened.")
    score: float
    confidence: float | None = None


class EvalQuestionResult(BaseModel):
    where: str = Field(description="Where the question is in the set: 'line 7', 'row 7', 'question 7'.")
    id: str | None
    question: str
    lang: str
    answerable: bool
    expected: str = Field(description="The hit rule, in words.")
    rank: int | None = Field(description="Rank of the first passage that hits; null: not in the top k.")
    miss: bool = Field(description="Not a hit at rank 1, or answered when it should have abstained.")
    first: EvalPassage | None = Field(description="What came first.")
    answered: bool | None
    ms: float


class EvalRunSummary(BaseModel):
    data_dir: str
    model: str
    version: str | None
    documents: int
    top_k: int
    mrr_at: int
    questions: int
    unanswerable: int
    overall: EvalScores
    by_lang: dict[str, EvalScores]
    answered_rate: float | None = Field(description="Answerable questions answered; null if not reported.")
    abstained_rate: float | None = Field(description="Unanswerable questions abstained on.")
    latency_p50_ms: float
    latency_p95_ms: float


class EvalChange(BaseModel):
    where: str
    id: str | None
    question: str
    lang: str
    before: int | None = Field(description="Rank in the evaluated data dir (null: not in the top k).")
    after: int | None = Field(description="Rank in the compared data dir.")
    status: Literal["gained", "lost", "better", "worse", "same"]


class EvalComparison(BaseModel):
    other: EvalRunSummary
    counts: dict[str, int] = Field(description="Questions per status: gained, lost, better, worse, same.")
    changes: list[EvalChange] = Field(description="Every question whose rank changed.")


class EvalThreshold(BaseModel):
    metric: str
    minimum: float
    value: float | None
    passed: bool


class EvalReport(BaseModel):
    question_set: str
    run: EvalRunSummary
    results: list[EvalQuestionResult]
    comparison: EvalComparison | None = None
    thresholds: list[EvalThreshold] = Field(default_factory=list)
    passed: bool = Field(description="Every threshold met (true when none is set).")
