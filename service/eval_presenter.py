"""What ``marja eval`` shows: evaluation runs → the report model (``--json``) → text."""

from __future__ import annotations

from collections.abc import Mapping

from index.evaluation.metrics import QuestionResult, Summary, check_thresholds
from index.evaluation.run import EvalRun, compare
from index.search import Hit
from service.eval_schemas import (
    EvalChange,
    EvalComparison,
    EvalPassage,
    EvalQuestionResult,
    EvalReport,
    EvalRunSummary,
    EvalScores,
    EvalThreshold,
)

PASSAGE_CHARS = 240
STATUSES = ("gained", "lost", "better", "worse", "same")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _passage(hit: Hit) -> EvalPassage:
    chunk = hit.stored.chunk
    return EvalPassage(
        doc_id=chunk.doc_id,
        title=hit.stored.title,
        start=chunk.start,
        end=chunk.end,
        text=_shorten(chunk.text, PASSAGE_CHARS),
        score=round(hit.score, 4),
        confidence=round(hit.confidence, 4),
    )


def _result(result: QuestionResult) -> EvalQuestionResult:
    q = result.question
    return EvalQuestionResult(
        where=q.where,
        id=q.id,
        question=q.question,
        lang=result.lang,
        answerable=q.answerable,
        expected=q.rule.describe() if q.answerable else "nothing (unanswerable)",
        rank=result.rank,
        miss=result.miss,
        first=_passage(result.first) if result.first else None,
        answered=result.answered,
        ms=round(result.seconds * 1000, 1),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _summary(run: EvalRun) -> EvalRunSummary:
    s: Summary = run.summary

    def scores(questions: int, recall: Mapping[int, float], mrr: float) -> EvalScores:
        return EvalScores(
            questions=questions, recall={str(k): round(v, 4) for k, v in recall.items()}, mrr=round(mrr, 4)
        )

    return EvalRunSummary(
        data_dir=run.data_dir,
        model=run.model_id,
        version=run.version,
        documents=run.documents,
        top_k=s.top_k,
        mrr_at=s.mrr_at,
        questions=s.questions,
        unanswerable=s.unanswerable,
        overall=scores(s.overall.questions, s.overall.recall, s.overall.mrr),
        by_lang={lang: scores(v.questions, v.recall, v.mrr) for lang, v in s.by_lang.items()},
        answered_rate=_round(s.answered_rate),
        abstained_rate=_round(s.abstained_rate),
        latency_p50_ms=round(s.latency_p50_ms, 1),
        latency_p95_ms=round(s.latency_p95_ms, 1),
    )


def _comparison(run: EvalRun, other: EvalRun) -> EvalComparison:
    changes = compare(run, other)
    counts = {status: sum(1 for c in changes if c.status == status) for status in STATUSES}
    return EvalComparison(
        other=_summary(other),
        counts=counts,
        changes=[
            EvalChange(
                where=c.question.where,
                id=c.question.id,
                question=c.question.question,
                lang=c.lang,
                before=c.before,
                after=c.after,
                status=c.status,
            )
            for c in changes
            if c.status != "same"
        ],
    )


def eval_report(
    run: EvalRun,
    *,
    question_set: str,
    other: EvalRun | None = None,
    minimum_recall: Mapping[int, float] | None = None,
) -> EvalReport:
    """The report of ``run`` (compared with ``other``, checked against the minimum recalls)."""
    thresholds = [
        EvalThreshold(metric=f"recall@{t.k}", minimum=t.minimum, value=_round(t.value), passed=t.passed)
        for t in check_thresholds(run.summary, minimum_recall or {})
    ]
    return EvalReport(
        question_set=question_set,
        run=_summary(run),
        results=[_result(r) for r in run.results],
        comparison=_comparison(run, other) if other is not None else None,
        thresholds=thresholds,
        passed=all(t.passed for t in thresholds),
    )


# -- text for a terminal ------------------------------------------------------------------------


def _rank(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def _scores_table(run: EvalRunSummary) -> list[str]:
    ks = list(run.overall.recall)
    header = f"{'':<6}{'n':>5}" + "".join(f"{'R@' + k:>8}" for k in ks) + f"{'MRR@' + str(run.mrr_at):>9}"
    rows = [header]
    for name, scores in [("all", run.overall), *run.by_lang.items()]:
        cells = "".join(f"{scores.recall[k]:>8.3f}" for k in ks)
        rows.append(f"{name:<6}{scores.questions:>5}{cells}{scores.mrr:>9.3f}")
    return rows


def _about(run: EvalRunSummary) -> str:
    return f"{run.data_dir} (index {run.version or '(empty)'}, {run.documents} documents, model {run.model})"


def eval_text(report: EvalReport) -> str:
    """The report for a terminal: scores, rates, latency, misses, comparison, thresholds."""
    run = report.run
    answerable = run.questions - run.unanswerable
    lines = [
        f"{report.question_set}: {run.questions} questions ({answerable} answerable), top {run.top_k}, "
        f"against {_about(run)}",
        "",
        *_scores_table(run),
        "",
    ]
    if run.answered_rate is not None:
        rates = f"answered {run.answered_rate:.1%} of the answerable questions"
        if run.abstained_rate is not None:
            rates += f", abstained on {run.abstained_rate:.1%} of the unanswerable ones"
        lines.append(rates)
    lines.append(f"latency per question: p50 {run.latency_p50_ms:.0f} ms, p95 {run.latency_p95_ms:.0f} ms")
    misses = [r for r in report.results if r.miss]
    lines += ["", f"misses ({len(misses)}):" if misses else "misses: none"]
    for r in misses:
        first = (
            f"{r.first.doc_id} {r.first.start}-{r.first.end}: {_shorten(r.first.text, 90)}"
            if r.first
            else "-"
        )
        lines.append(f"  [{r.id or r.where}] {r.lang} rank {_rank(r.rank)}  {_shorten(r.question, 80)}")
        lines.append(f"      expected {r.expected}; first: {first}")
    if report.comparison is not None:
        lines += _comparison_text(run, report.comparison)
    for t in report.thresholds:
        value = "not measured (raise --top-k)" if t.value is None else f"{t.value:.3f}"
        lines.append(f"{t.metric} {value} (minimum {t.minimum:.3f}): {'ok' if t.passed else 'BELOW'}")
    return "\n".join(lines)


def _comparison_text(run: EvalRunSummary, comparison: EvalComparison) -> list[str]:
    other = comparison.other
    lines = ["", f"compared with {_about(other)}:"]
    for k, before in run.overall.recall.items():
        after = other.overall.recall.get(k)
        if after is not None:
            lines.append(f"  R@{k:<3} {before:.3f} → {after:.3f} ({after - before:+.3f})")
    before, after = run.overall.mrr, other.overall.mrr
    lines.append(f"  MRR   {before:.3f} → {after:.3f} ({after - before:+.3f})")
    lines.append("  " + ", ".join(f"{n} {status}" for status, n in comparison.counts.items()))
    for c in comparison.changes:
        lines.append(
            f"  {c.status:<7} [{c.id or c.where}] {c.lang} rank {_rank(c.before)} → {_rank(c.after)}  "
            f"{_shorten(c.question, 80)}"
        )
    return lines
