"""Passage retrieval on XQuAD (Arabic and English): BM25, dense and marja's hybrid.

Each paragraph is a document; XQuAD's 240 paragraphs exist in both languages (parallel) and
each question was written on one of them. Settings:

- ar→ar, en→ar, en→en: one language's paragraphs; a hit is the paragraph the question was
  written on (en→ar: English questions over the Arabic paragraphs).
- both translations: all 480 Arabic and English paragraphs and all 2,380 questions; a hit is the
  paragraph in the question's OWN language, so it measures same-language retrieval with each
  paragraph's translation as a distractor (it cannot show a cross-language bias).
- split pool: each paragraph kept in ONE language only (a seeded coin), every question asked in
  both languages; a hit is the kept paragraph whatever its language. Cells: question language →
  kept paragraph's language (ar→ar, en→en, ar→en, en→ar); the median over three seeds is
  reported. This is the setting of a real mixed collection, where an answer exists in one
  language only.

Fusion parameters are chosen on articles 0–23 (``DEV_ARTICLES``); articles 24–47 are reported
separately as held out.

    python -m bench.xquad [--data ../shared/benchmarks/xquad] [--model default] [--only split]

Embeddings are cached under bench/cache/, so a rerun encodes nothing. Results go to
bench/results/xquad.json and Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.common import REPO, CachedEmbedder, percentile, write_result
from core.document import Document
from index.backends.bm25s_lexical import Bm25sLexical
from index.collection import Collection
from index.embedders.factory import create_embedder
from text.analyzer import analyze

logger = logging.getLogger("bench.xquad")

DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "xquad"
KS = (1, 5, 10)
DEV_ARTICLES = 24  # articles 0-23 choose the parameters; 24-47 are held out
SPLIT_SEEDS = (1, 2, 3)
SPLIT_CELLS = ("ar→ar", "en→en", "ar→en", "en→ar")
SYSTEMS = ("bm25", "dense", "hybrid")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    gold: str  # doc id of the paragraph it was written on
    article: int
    paragraph: int = 0  # index of the paragraph (the same in both languages)
    answers: tuple[tuple[str, int], ...] = ()  # (language, offset of the answer in that paragraph)

    def with_gold(self, gold: str) -> Question:
        return replace(self, gold=gold)

    def answer_start(self, lang: str) -> int:
        return dict(self.answers).get(lang, -1)


def load(data: Path) -> tuple[dict[str, list[Document]], dict[str, list[Question]]]:
    paragraphs: dict[str, list[Document]] = {}
    questions: dict[str, list[Question]] = {}
    starts: dict[str, list[int]] = {"ar": [], "en": []}
    for lang in ("ar", "en"):
        raw = json.loads((data / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        docs, qs = [], []
        for a, article in enumerate(raw["data"]):
            for paragraph in article["paragraphs"]:
                index = len(docs)
                doc_id = f"{lang}-{index:04d}"
                docs.append(Document(doc_id=doc_id, title="", text=paragraph["context"], lang=lang))
                qs.extend(Question(q["question"], lang, doc_id, a, index) for q in paragraph["qas"])
                starts[lang].extend(q["answers"][0]["answer_start"] for q in paragraph["qas"])
        paragraphs[lang], questions[lang] = docs, qs
    # The questions are parallel: the j-th Arabic question is the j-th English one.
    for lang in questions:
        questions[lang] = [
            replace(q, answers=(("ar", starts["ar"][j]), ("en", starts["en"][j])))
            for j, q in enumerate(questions[lang])
        ]
    return paragraphs, questions


def split_pool(
    paragraphs: dict[str, list[Document]], questions: dict[str, list[Question]], *, seed: int
) -> tuple[list[Document], list[Question]]:
    """Each paragraph in one language only (a coin per paragraph); every question, both languages,
    with the kept paragraph as its gold."""
    coin = np.random.default_rng(seed).integers(0, 2, len(paragraphs["ar"]))
    kept = [paragraphs["ar" if c == 0 else "en"][i] for i, c in enumerate(coin)]
    asked = [q.with_gold(kept[q.paragraph].doc_id) for q in questions["ar"] + questions["en"]]
    return kept, asked


def cell_of(q: Question) -> str:
    return f"{q.lang}→{q.gold.split('-', 1)[0]}"


def _translation(doc_id: str) -> str:
    lang, number = doc_id.split("-", 1)
    return f"{'en' if lang == 'ar' else 'ar'}-{number}"


def _first_ranks(ranked_doc_ids: list[str], gold: str | set[str]) -> int:
    """1-based rank of ``gold`` (or the first of a set of golds) among distinct documents, 0 if absent."""
    golds = {gold} if isinstance(gold, str) else gold
    seen: list[str] = []
    for d in ranked_doc_ids:
        if d not in seen:
            seen.append(d)
            if d in golds:
                return len(seen)
    return 0


def metrics(ranks: Sequence[int]) -> dict[str, float]:
    r = np.asarray(ranks)
    out = {f"recall@{k}": float(np.mean((r > 0) & (r <= k))) for k in KS}
    out["mrr@10"] = float(np.mean(np.where((r > 0) & (r <= 10), 1.0 / np.maximum(r, 1), 0.0)))
    out["questions"] = len(ranks)
    return out


@dataclass
class Run:
    """The ranks of each system for each question, and highlight checks of hybrid's top hits."""

    ranks: dict[str, list[int]]
    highlight: list[dict[str, int]]  # per question whose gold came first in hybrid
    hybrid_docs: list[list[str]] = field(default_factory=list)  # hybrid's top 10 of each question


def evaluate(collection: Collection, questions: list[Question]) -> Run:
    snapshot = collection.snapshot()
    assert snapshot.catalog is not None
    doc_of = {cid: s.chunk.doc_id for cid, s in snapshot.catalog.chunks(snapshot.dense.all_ids()).items()}
    lexical = snapshot.lexical
    assert isinstance(lexical, Bm25sLexical), "BM25 alone is measured on the local backend"
    lexical_doc = [doc_of[int(i)] for i in lexical.index.ids]
    run = Run({s: [] for s in SYSTEMS}, [])
    for q in questions:
        scores = lexical.index.scores(analyze(q.text))
        order = np.argsort(-scores, kind="stable")[:50]
        run.ranks["bm25"].append(_first_ranks([lexical_doc[i] for i in order if scores[i] > 0], q.gold))
        hits = snapshot.dense.search(collection.query_vector(q.text), 50)
        run.ranks["dense"].append(_first_ranks([doc_of[int(i)] for i in hits.ids], q.gold))
        answer = collection.ask(q.text, top_k=10)
        run.hybrid_docs.append([h.stored.chunk.doc_id for h in answer.hits])
        rank = _first_ranks(run.hybrid_docs[-1], q.gold)
        run.ranks["hybrid"].append(rank)
        answer_at = q.answer_start(q.gold.split("-", 1)[0])
        if rank == 1 and answer_at >= 0:
            top = answer.hits[0]
            sentences = top.stored.chunk.sentences
            if top.stored.chunk.start <= answer_at < top.stored.chunk.end and len(sentences) > 1:
                run.highlight.append(
                    {
                        "sentences": len(sentences),
                        "marked": len(top.highlights),
                        "hit": int(any(s <= answer_at < e for s, e in top.highlights)),
                    }
                )
    return run


def highlight_summary(rows: list[dict[str, int]]) -> dict[str, float]:
    """How often the highlighted sentence holds the answer, and how much is highlighted."""
    if not rows:
        return {}
    return {
        "passages": len(rows),
        "answer_in_highlight": float(np.mean([r["hit"] for r in rows])),
        "sentences_marked_mean": float(np.mean([r["marked"] for r in rows])),
        "one_sentence_share": float(np.mean([r["marked"] == 1 for r in rows])),
        "whole_passage_share": float(np.mean([r["marked"] >= r["sentences"] for r in rows])),
    }


def _subset(run_ranks: list[int], questions: list[Question], keep: Callable[[Question], bool]) -> list[int]:
    return [r for r, q in zip(run_ranks, questions, strict=True) if keep(q)]


def per_cell(run: Run, questions: list[Question]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for cell in SPLIT_CELLS:
        entry = {
            s: metrics(_subset(run.ranks[s], questions, lambda q, c=cell: cell_of(q) == c)) for s in SYSTEMS
        }
        for name, dev in (("hybrid, dev articles", True), ("hybrid, held-out articles", False)):
            entry[name] = metrics(
                _subset(
                    run.ranks["hybrid"],
                    questions,
                    lambda q, c=cell, d=dev: cell_of(q) == c and (q.article < DEV_ARTICLES) == d,
                )
            )
        out[cell] = entry
    return out


def median_cells(
    per_seed: list[dict[str, dict[str, dict[str, float]]]],
) -> dict[str, dict[str, dict[str, float]]]:
    """The median over seeds of every metric of every cell and system."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for cell, systems in per_seed[0].items():
        out[cell] = {
            system: {m: statistics.median(s[cell][system][m] for s in per_seed) for m in values}
            for system, values in systems.items()
        }
    return out


def split_median(
    per_seed: list[dict[str, dict[str, dict[str, float]]]],
) -> dict[str, dict[str, dict[str, float]]]:
    """The split pool's figures: each cell's median over seeds, and the mean of the four cells."""
    median = median_cells(per_seed)
    for system in median[SPLIT_CELLS[0]]:
        median.setdefault("mean of four", {})[system] = {
            m: float(np.mean([median[c][system][m] for c in SPLIT_CELLS]))
            for m in median[SPLIT_CELLS[0]][system]
        }
    return median


def _build(
    embedder: CachedEmbedder, root: Path, name: str, docs: list[Document], results: dict
) -> Collection:
    encode_before = embedder.encoded
    started = time.perf_counter()
    collection = Collection(root / name, embedder)
    report = collection.ingest(docs)
    seconds = time.perf_counter() - started
    embedder.save()
    results["build"][name] = {
        "documents": len(docs),
        "chunks": report.chunks_total,
        "seconds": round(seconds, 2),
        "texts_encoded_now": embedder.encoded - encode_before,
    }
    logger.info("built %s: %d chunks in %.1f s", name, report.chunks_total, seconds)
    return collection


def pools(paragraphs: dict[str, list[Document]]) -> dict[str, list[Document]]:
    """The one-pool settings' collections: each language's paragraphs, and both together."""
    return {"ar": paragraphs["ar"], "en": paragraphs["en"], "both": paragraphs["ar"] + paragraphs["en"]}


def settings(questions: dict[str, list[Question]]) -> dict[str, tuple[str, list[Question]]]:
    """The one-pool settings: (the pool of :func:`pools` asked, the questions with their gold)."""
    return {
        "ar→ar": ("ar", questions["ar"]),
        "en→ar": ("ar", [q.with_gold(q.gold.replace("en-", "ar-")) for q in questions["en"]]),
        "en→en": ("en", questions["en"]),
        "both translations": ("both", questions["ar"] + questions["en"]),
    }


def run_settings(
    embedder: CachedEmbedder,
    root: Path,
    paragraphs: dict[str, list[Document]],
    questions: dict[str, list[Question]],
    results: dict,
) -> dict[str, Collection]:
    collections = {
        name: _build(embedder, root, name, docs, results) for name, docs in pools(paragraphs).items()
    }
    results["settings"] = {}
    for name, (pool, qs) in settings(questions).items():
        run = evaluate(collections[pool], qs)
        embedder.save()
        entry = {system: metrics(r) for system, r in run.ranks.items()}
        entry["hybrid, held-out articles"] = metrics(
            _subset(run.ranks["hybrid"], qs, lambda q: q.article >= DEV_ARTICLES)
        )
        entry["hybrid, dev articles"] = metrics(
            _subset(run.ranks["hybrid"], qs, lambda q: q.article < DEV_ARTICLES)
        )
        if name == "both translations":
            # The paragraph's translation answers too: how often either comes first.
            either = [
                _first_ranks(docs, {q.gold, _translation(q.gold)})
                for docs, q in zip(run.hybrid_docs, qs, strict=True)
            ]
            entry["hybrid, either translation counts"] = metrics(either)
        results["settings"][name] = entry
        logger.info("%s: %s", name, {k: round(v["recall@1"], 3) for k, v in entry.items()})
    return collections


def run_split(
    embedder: CachedEmbedder,
    root: Path,
    paragraphs: dict[str, list[Document]],
    questions: dict[str, list[Question]],
    results: dict,
    *,
    seeds: Sequence[int],
) -> None:
    per_seed = []
    highlights: list[dict[str, int]] = []
    results["split"] = {"seeds": {}}
    for seed in seeds:
        kept, asked = split_pool(paragraphs, questions, seed=seed)
        collection = _build(embedder, root, f"split-{seed}", kept, results)
        run = evaluate(collection, asked)
        embedder.save()
        cells = per_cell(run, asked)
        results["split"]["seeds"][seed] = cells
        per_seed.append(cells)
        highlights += run.highlight
        logger.info(
            "split seed %d: %s", seed, {c: round(v["hybrid"]["recall@1"], 3) for c, v in cells.items()}
        )
    results["split"]["median"] = split_median(per_seed)
    results["split"]["highlights"] = highlight_summary(highlights)


def run_latency(
    raw_embedder: object, collection: Collection, questions: dict[str, list[Question]], n: int
) -> dict:
    """Latency of the whole question path with the real, uncached embedder."""
    timed = Collection(collection.data_dir, raw_embedder)  # type: ignore[arg-type]
    everything = questions["ar"] + questions["en"]
    sample = everything[:: max(1, len(everything) // n)]
    timed.ask(sample[0].text)  # warm up
    full, search_only = [], []
    for q in sample:
        timed.query_vectors = type(timed.query_vectors)()  # no cache hits
        t0 = time.perf_counter()
        timed.ask(q.text, top_k=5)
        full.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        timed.ask(q.text, top_k=5)  # vector now cached: search only
        search_only.append((time.perf_counter() - t0) * 1000)
    return {
        "questions": len(sample),
        "ask_p50": round(percentile(full, 50), 2),
        "ask_p95": round(percentile(full, 95), 2),
        "search_only_p50": round(percentile(search_only, 50), 2),
        "search_only_p95": round(percentile(search_only, 95), 2),
    }


def bench_parser(doc: str) -> argparse.ArgumentParser:
    """The options every XQuAD benchmark takes: where XQuAD is and which model to use."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.ar.json, xquad.en.json"
    )
    parser.add_argument("--model", default="default")
    return parser


def start(args: argparse.Namespace) -> tuple[dict[str, list[Document]], dict[str, list[Question]]]:
    """Logging as the benchmarks want it, and XQuAD loaded (exits with a message if absent)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "bm25s", "index.snapshot", "index.store", "index.builder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not (args.data / "xquad.ar.json").exists():
        raise SystemExit(f"XQuAD not found in {args.data}; pass --data")
    return load(args.data)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--latency-questions", type=int, default=200)
    parser.add_argument(
        "--only", choices=["settings", "split"], help="run one part (no latency, results not written)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SPLIT_SEEDS))
    args = parser.parse_args(argv)
    paragraphs, questions = start(args)
    raw_embedder = create_embedder(args.model, models_dir=REPO / "data" / "models")
    embedder = CachedEmbedder(raw_embedder)
    results: dict = {"model": raw_embedder.model_id, "build": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        collections = {}
        if args.only in (None, "settings"):
            collections = run_settings(embedder, root, paragraphs, questions, results)
        if args.only in (None, "split"):
            run_split(embedder, root, paragraphs, questions, results, seeds=args.seeds)
        if args.only is None:
            results["latency_ms"] = run_latency(
                raw_embedder, collections["both"], questions, args.latency_questions
            )
    print(markdown_tables(results))
    if args.only is None:
        path = write_result("xquad", results)
        print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    else:
        print(json.dumps(results, ensure_ascii=False, indent=1), file=sys.stderr)
    return 0


def _cell(m: dict[str, float]) -> str:
    return f"{m['recall@1']:.3f} / {m['recall@5']:.3f} / {m['recall@10']:.3f} / {m['mrr@10']:.3f}"


def markdown_tables(results: dict) -> str:
    lines: list[str] = []
    rows = ["bm25", "dense", "hybrid", "hybrid, dev articles", "hybrid, held-out articles"]
    if "settings" in results:
        columns = ("ar→ar", "en→ar", "en→en", "both translations")
        lines += ["| system | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
        for system in rows:
            cells = [_cell(results["settings"][c][system]) for c in columns]
            lines.append(f"| {system} | " + " | ".join(cells) + " |")
        either = results["settings"]["both translations"]["hybrid, either translation counts"]
        lines.append("| hybrid, either translation counts | | | | " + _cell(either) + " |")
        lines.append("")
    if "split" in results:
        median = results["split"]["median"]
        columns = (*SPLIT_CELLS, "mean of four")
        lines += [
            "Split pool, median of seeds (recall@1 / recall@5 / recall@10 / MRR@10):",
            "",
            "| system | " + " | ".join(columns) + " |",
            "|---" * (len(columns) + 1) + "|",
        ]
        for system in rows:
            lines.append(f"| {system} | " + " | ".join(_cell(median[c][system]) for c in columns) + " |")
        h = results["split"].get("highlights")
        if h:
            lines += [
                "",
                f"Highlights of {h['passages']} correct multi-sentence top passages: answer inside the "
                f"highlight {h['answer_in_highlight']:.3f}, sentences marked "
                f"{h['sentences_marked_mean']:.2f} on average, one sentence "
                f"{h['one_sentence_share']:.3f}, whole passage {h['whole_passage_share']:.3f}.",
            ]
    lat = results.get("latency_ms")
    if lat:
        lines.append("")
        lines.append(
            f"Query latency over {lat['questions']} questions (480 paragraphs): "
            f"full ask p50 {lat['ask_p50']} ms, p95 {lat['ask_p95']} ms; "
            f"search without embedding p50 {lat['search_only_p50']} ms, p95 {lat['search_only_p95']} ms."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
