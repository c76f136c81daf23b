"""Calibrate passage confidence on XQuAD and choose when marja says "no passage answers".

1. **Calibration** (``index.confidence.ConfidenceModel``). For every XQuAD question of articles
   0–23, the product's search scores the passages; the paragraph the question was written on is
   a positive, the best other passage a negative (the question asked of a collection without its
   answer, where a near miss from the same article is what comes first). One logistic fit per
   scoring (a one-language collection: the Arabic and English pools; a multilingual one: the
   split pool of ``bench.xquad``) and kind of pair (passage in the question's language or not).
   Articles 24–47 then show, per language pair, how well confidence separates answers from near
   misses (AUC) and how close it is to the observed rate (expected calibration error).
2. **Answering or not** on the bundled corpus with the real model: the bundled question set
   (``corpus/questions.jsonl``, the quality test's): its answerable questions (among them
   questions about time: "Who led the most recent meeting?", "meetings after 2019") against those
   nothing in the collection answers (events that never happened, places and bodies the
   collection never mentions, off-topic questions and gibberish, in both languages). A question
   answers when one of its ``TOP_K`` passages reaches the threshold. The questions whose id has
   ``-dev-`` (and the answerable ones with no half in their id) are the tuning half: the time
   bonus and the threshold are chosen on it (the most unanswerable questions refused while at
   least ``ANSWERED_FLOOR`` of the answerable ones are answered); the ``-test-`` half is reported
   apart.

    python -m bench.confidence [--data ../shared/benchmarks/xquad]

Prints the calibration (to paste into index/confidence.py), the per-pair check, and the
threshold trade-off as Markdown; writes bench/results/confidence.json.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.common import REPO, CachedEmbedder, write_result
from bench.xquad import DEV_ARTICLES, SPLIT_SEEDS, Question, bench_parser, split_pool, start
from index.collection import Collection
from index.confidence import Calibration, ConfidenceModel
from index.embedders.factory import create_embedder
from index.evaluation.questions import read_question_set
from index.records import Filters
from index.search import search
from ingest.loaders import iter_source_files, load_file

logger = logging.getLogger("bench.confidence")

QUESTIONS = REPO / "corpus" / "questions.jsonl"
ANSWERED_FLOOR = 0.95
THRESHOLDS = np.round(np.arange(0.01, 0.96, 0.01), 2)
CURVE = np.round(np.arange(0.05, 0.96, 0.05), 2)


@dataclass
class Sample:
    score: float
    label: int
    same: bool  # passage in the question's language
    mixed: bool  # multilingual collection
    cell: str  # question → passage language
    dev: bool


def samples(collection: Collection, questions: list[Question]) -> list[Sample]:
    """Per question: the gold paragraph's best passage (label 1) and the best other one (label 0)."""
    snapshot = collection.snapshot()
    mixed = snapshot.means.multilingual
    out = []
    for q in questions:
        query = collection.prepare(q.text)
        hits = search(snapshot, query, top_k=20, filters=Filters(), weights=collection.weights)
        hits.sort(key=lambda h: -h.score)  # by score, not answering passages first
        gold = next((h for h in hits if h.stored.chunk.doc_id == q.gold), None)
        other = next((h for h in hits if h.stored.chunk.doc_id != q.gold), None)
        for hit, label in ((gold, 1), (other, 0)):
            if hit is None:
                continue
            lang = hit.stored.chunk.lang
            out.append(
                Sample(
                    score=hit.score,
                    label=label,
                    same=lang == query.language,
                    mixed=mixed,
                    cell=f"{q.lang}→{lang}",
                    dev=q.article < DEV_ARTICLES,
                )
            )
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray) -> Calibration:
    """Maximum-likelihood slope and intercept (Newton's method, a little ridge for stability)."""
    w = np.zeros(2)
    design = np.column_stack([x, np.ones_like(x)])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (p - y) + 1e-6 * w
        hess = design.T @ (design * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return Calibration(round(float(w[0]), 3), round(float(w[1]), 3))


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    return float(
        sum(
            abs(p[which == b].mean() - y[which == b].mean()) * (which == b).mean()
            for b in range(bins)
            if (which == b).any()
        )
    )


def calibrate(everything: list[Sample]) -> tuple[ConfidenceModel, dict]:
    fitted = {}
    for mixed in (False, True):
        for same in (True, False):
            dev = [s for s in everything if s.dev and s.mixed == mixed and s.same == same]
            fitted[(mixed, same)] = fit_logistic(
                np.array([s.score for s in dev]), np.array([s.label for s in dev], dtype=np.float64)
            )
    model = ConfidenceModel(
        one_language=(fitted[(False, True)], fitted[(False, False)]),
        mixed=(fitted[(True, True)], fitted[(True, False)]),
    )
    check: dict[str, dict] = {}
    for mixed in (False, True):
        for cell in sorted({s.cell for s in everything if s.mixed == mixed}):
            held = [s for s in everything if not s.dev and s.mixed == mixed and s.cell == cell]
            if not held:
                continue
            cal = fitted[(mixed, held[0].same)]
            p = 1.0 / (1.0 + np.exp(-cal.logits(np.array([s.score for s in held]))))
            y = np.array([s.label for s in held], dtype=np.float64)
            check[f"{'multilingual' if mixed else 'one language'} {cell}"] = {
                "samples": len(held),
                "auc": round(auc(p[y == 1], p[y == 0]), 3),
                "mean_confidence_answer": round(float(p[y == 1].mean()), 3) if (y == 1).any() else None,
                "mean_confidence_near_miss": round(float(p[y == 0].mean()), 3) if (y == 0).any() else None,
                "ece": round(ece(p, y), 3),
            }
    return model, check


TOP_K = 5
"""Passages shown per question (``Collection.ask``'s default): ``answered`` is whether one answers."""
TIME_BONUSES = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


@dataclass
class Asked:
    question: str
    lang: str
    answerable: bool
    half: str  # "dev" (tuning) or "test" (held out)
    logits: list[float]  # of the TOP_K passages, mismatch penalty included, time bonus not
    satisfied: list[bool]  # each passage satisfies the time the question asks about


def _half(question_id: str | None) -> str:
    """Questions whose id has ``-dev-`` tune the threshold and time bonus; the others are held out
    (the answerable ones without an id half, ``en-01``..., count in both)."""
    if question_id and "-dev-" in question_id:
        return "dev"
    if question_id and "-test-" in question_id:
        return "test"
    return "both"


def ask_corpus(collection: Collection, model: ConfidenceModel) -> list[Asked]:
    """The bundled question set asked of the bundled corpus: the log-odds of the ``TOP_K`` best
    passages (without the time bonus, which is chosen here) and which satisfy the question's time."""
    snapshot = collection.snapshot()
    base = replace(model, time_bonus=0.0)
    out = []
    for q in read_question_set(QUESTIONS):
        query = collection.prepare(q.question)
        hits = search(
            snapshot, query, top_k=TOP_K, filters=q.filters, weights=collection.weights, calibration=base
        )
        logits = [float(np.log(p / (1 - p))) for p in np.clip([h.confidence for h in hits], 1e-12, 1 - 1e-12)]
        satisfied = [h.satisfied for h in hits]
        out.append(Asked(q.question, q.lang or query.language, q.answerable, _half(q.id), logits, satisfied))
    return out


def _answered(a: Asked, bonus: float, threshold: float) -> bool:
    """Whether any of the passages reaches ``threshold`` (``Answer.answered``)."""
    logits = np.array(a.logits) + bonus * np.array(a.satisfied, dtype=float)
    return bool(len(logits)) and bool((1.0 / (1.0 + np.exp(-logits)) >= threshold).any())


def rates(asked: list[Asked], bonus: float, threshold: float) -> dict[str, float]:
    def share(group: list[Asked], answered: bool) -> float:
        return float(np.mean([_answered(a, bonus, threshold) == answered for a in group])) if group else 1.0

    out = {"answerable answered": share([a for a in asked if a.answerable], True)}
    for half in ("dev", "test"):
        out[f"answerable answered ({half})"] = share(
            [a for a in asked if a.answerable and a.half in (half, "both")], True
        )
        out[f"time questions answered ({half})"] = share(
            [a for a in asked if a.answerable and a.half == half], True
        )
        out[f"unanswerable refused ({half})"] = share(
            [a for a in asked if not a.answerable and a.half == half], False
        )
    for lang in ("en", "ar"):
        out[f"answerable answered ({lang})"] = share(
            [a for a in asked if a.answerable and a.lang == lang], True
        )
        out[f"unanswerable refused ({lang})"] = share(
            [a for a in asked if not a.answerable and a.lang == lang], False
        )
    return out


def choose(asked: list[Asked]) -> tuple[float, float]:
    """The time bonus and threshold, on the dev half only: most dev unanswerables refused with
    ``ANSWERED_FLOOR`` of the dev answerables answered, then the most answered, then the smallest
    bonus; of several equally good thresholds, the middle one, furthest from both edges."""
    scored = []
    for bonus in TIME_BONUSES:
        for threshold in THRESHOLDS:
            r = rates(asked, bonus, float(threshold))
            if r["answerable answered (dev)"] >= ANSWERED_FLOOR:
                key = (r["unanswerable refused (dev)"], r["answerable answered (dev)"], -bonus)
                scored.append((key, bonus, float(threshold)))
    if not scored:
        raise SystemExit(f"no threshold answers {ANSWERED_FLOOR:.0%} of the answerable questions")
    best = max(key for key, _, _ in scored)
    tied = [(b, t) for key, b, t in scored if key == best]
    return tied[len(tied) // 2]


def main(argv: list[str] | None = None) -> int:
    args = bench_parser(__doc__).parse_args(argv)
    paragraphs, questions = start(args)
    raw = create_embedder(args.model, models_dir=REPO / "data" / "models")
    embedder = CachedEmbedder(raw)
    everything: list[Sample] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, docs, asked in (
            (
                "ar",
                paragraphs["ar"],
                questions["ar"] + [q.with_gold(q.gold.replace("en-", "ar-")) for q in questions["en"]],
            ),
            ("en", paragraphs["en"], questions["en"]),
            *((f"split-{seed}", *split_pool(paragraphs, questions, seed=seed)) for seed in SPLIT_SEEDS),
        ):
            collection = Collection(root / name, embedder)
            collection.ingest(docs)
            everything += samples(collection, asked)
            embedder.save()
            logger.info("%s: %d samples", name, len(everything))
        model, check = calibrate(everything)
        corpus = Collection(root / "corpus", raw, calibration=model)
        corpus.ingest([load_file(p) for p in iter_source_files([REPO / "corpus"])])
        asked_corpus = ask_corpus(corpus, model)
    bonus, threshold = choose(asked_corpus)
    curve = {float(t): rates(asked_corpus, bonus, float(t)) for t in sorted({*CURVE.tolist(), threshold})}
    chosen = rates(asked_corpus, bonus, threshold)
    result = {
        "calibration": {
            "one_language": [c.__dict__ for c in model.one_language],
            "mixed": [c.__dict__ for c in model.mixed],
            "mismatch_penalty": model.mismatch_penalty,
            "time_bonus": bonus,
            "threshold": threshold,
        },
        "held_out_check": check,
        "corpus_at_threshold": chosen,
        "curve": curve,
        "misses": {
            "answerable not answered": [
                a.question for a in asked_corpus if a.answerable and not _answered(a, bonus, threshold)
            ],
            "unanswerable answered": [
                a.question for a in asked_corpus if not a.answerable and _answered(a, bonus, threshold)
            ],
        },
    }
    path = write_result("confidence", result)
    print(markdown(result))
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


def markdown(result: dict) -> str:
    cal = result["calibration"]
    lines = [
        f"one_language={cal['one_language']}, mixed={cal['mixed']}, "
        f"mismatch_penalty={cal['mismatch_penalty']}, time_bonus={cal['time_bonus']}, "
        f"threshold={cal['threshold']}",
        "",
        "| collection, question → passage | AUC | mean confidence: answer / near miss | ECE |",
        "|---|---|---|---|",
    ]
    for name, c in result["held_out_check"].items():
        lines.append(
            f"| {name} | {c['auc']:.3f} | {c['mean_confidence_answer']} / "
            f"{c['mean_confidence_near_miss']} | {c['ece']:.3f} |"
        )
    lines += [
        "",
        "| threshold | answerable answered | time questions answered (dev / test) "
        "| unanswerable refused (dev) | unanswerable refused (test) |",
        "|---|---|---|---|---|",
    ]
    for t, r in result["curve"].items():
        mark = " **(default)**" if abs(float(t) - cal["threshold"]) < 1e-9 else ""
        time = f"{r['time questions answered (dev)']:.3f} / {r['time questions answered (test)']:.3f}"
        cells = [f"{r['answerable answered']:.3f}", time]
        cells += [f"{r['unanswerable refused (dev)']:.3f}", f"{r['unanswerable refused (test)']:.3f}"]
        lines.append(f"| {float(t):.2f}{mark} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "misses at the chosen threshold: " + json.dumps(result["misses"], ensure_ascii=False, indent=1),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
