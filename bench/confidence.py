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
   (``corpus/questions.jsonl``, the quality test's): its answerable questions against those
   nothing in the collection answers (events that never happened, places and bodies the
   collection never mentions, off-topic questions, in both languages). The unanswerable ones
   whose id starts with ``none-dev-`` are the "dev" half, the others the "test" half. The
   threshold is chosen on the "dev" half (the highest share of unanswerable questions refused
   while at least ``ANSWERED_FLOOR`` of the answerable ones are answered); the "test" half is
   reported apart.

    python -m bench.confidence [--data ../shared/benchmarks/xquad]

Prints the calibration (to paste into index/confidence.py), the per-pair check, and the
threshold trade-off as Markdown; writes bench/results/confidence.json.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import REPO, CachedEmbedder, write_result
from bench.xquad import DEV_ARTICLES, SPLIT_SEEDS, Question, bench_parser, split_pool, start
from index.catalog import Filters
from index.collection import Collection
from index.confidence import Calibration, ConfidenceModel
from index.embedders.factory import create_embedder
from index.evaluation.questions import read_question_set
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


@dataclass
class Asked:
    question: str
    lang: str
    answerable: bool
    half: str  # "dev" or "test" ("all" for the answerable questions)
    logit: float  # of the best passage, before any time mismatch
    mismatch: bool


def ask_corpus(collection: Collection, model: ConfidenceModel) -> list[Asked]:
    """The bundled question set asked of the bundled corpus: the best passage's log-odds (before
    any time mismatch) and whether its time contradicts the question's."""
    snapshot = collection.snapshot()
    out = []
    for q in read_question_set(QUESTIONS):
        query = collection.prepare(q.question)
        hits = search(
            snapshot, query, top_k=1, filters=q.filters, weights=collection.weights, calibration=model
        )
        top = hits[0]
        p = min(max(top.confidence, 1e-12), 1 - 1e-12)
        logit = float(np.log(p / (1 - p))) + model.mismatch_penalty * top.time_mismatch
        half = "all" if q.answerable else ("dev" if q.id and q.id.startswith("none-dev-") else "test")
        out.append(Asked(q.question, q.lang or query.language, q.answerable, half, logit, top.time_mismatch))
    return out


def rates(asked: list[Asked], penalty: float, threshold: float) -> dict[str, float]:
    def answered(a: Asked) -> bool:
        return 1.0 / (1.0 + np.exp(-(a.logit - penalty * a.mismatch))) >= threshold

    out = {"answerable answered": float(np.mean([answered(a) for a in asked if a.answerable]))}
    for half in ("dev", "test"):
        group = [a for a in asked if not a.answerable and a.half == half]
        out[f"unanswerable refused ({half})"] = float(np.mean([not answered(a) for a in group]))
    for lang in ("en", "ar"):
        out[f"answerable answered ({lang})"] = float(
            np.mean([answered(a) for a in asked if a.answerable and a.lang == lang])
        )
        out[f"unanswerable refused ({lang})"] = float(
            np.mean([not answered(a) for a in asked if not a.answerable and a.lang == lang])
        )
    return out


def choose(asked: list[Asked], penalty: float) -> float:
    """The threshold refusing most dev unanswerables with ``ANSWERED_FLOOR`` answered (then the
    most answered); of several equally good, the middle one, furthest from both edges."""
    scored = []
    for threshold in THRESHOLDS:
        r = rates(asked, penalty, float(threshold))
        if r["answerable answered"] >= ANSWERED_FLOOR:
            scored.append(((r["unanswerable refused (dev)"], r["answerable answered"]), float(threshold)))
    if not scored:
        raise SystemExit(f"no threshold answers {ANSWERED_FLOOR:.0%} of the answerable questions")
    best = max(key for key, _ in scored)
    tied = [t for key, t in scored if key == best]
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
    penalty = model.mismatch_penalty
    threshold = choose(asked_corpus, penalty)
    curve = {float(t): rates(asked_corpus, penalty, float(t)) for t in sorted({*CURVE.tolist(), threshold})}
    chosen = rates(asked_corpus, penalty, threshold)
    result = {
        "calibration": {
            "one_language": [c.__dict__ for c in model.one_language],
            "mixed": [c.__dict__ for c in model.mixed],
            "mismatch_penalty": penalty,
            "threshold": threshold,
        },
        "held_out_check": check,
        "corpus_at_threshold": chosen,
        "curve": curve,
        "misses": {
            "answerable not answered": [
                a.question
                for a in asked_corpus
                if a.answerable and 1 / (1 + np.exp(-(a.logit - penalty * a.mismatch))) < threshold
            ],
            "unanswerable answered": [
                a.question
                for a in asked_corpus
                if not a.answerable and 1 / (1 + np.exp(-(a.logit - penalty * a.mismatch))) >= threshold
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
        f"mismatch_penalty={cal['mismatch_penalty']}, threshold={cal['threshold']}",
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
        "| threshold | answerable answered | unanswerable refused (dev) | unanswerable refused (test) |",
        "|---|---|---|---|",
    ]
    for t, r in result["curve"].items():
        mark = " **(default)**" if abs(float(t) - cal["threshold"]) < 1e-9 else ""
        cells = [r["answerable answered"], r["unanswerable refused (dev)"], r["unanswerable refused (test)"]]
        lines.append(f"| {float(t):.2f}{mark} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    lines += [
        "",
        "misses at the chosen threshold: " + json.dumps(result["misses"], ensure_ascii=False, indent=1),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
