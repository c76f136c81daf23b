"""Passage retrieval on XQuAD (Arabic and English): BM25, dense and marja's hybrid.

Each paragraph is a document; a hit is the paragraph the question was written on. Settings:
ar→ar, en→ar (English questions over the Arabic paragraphs), en→en, and a mixed pool of all
Arabic and English paragraphs with every question (a hit is the paragraph in the question's own
language, so its translation is a distractor).

    python -m bench.xquad [--data ../shared/benchmarks/xquad] [--model default]

Embeddings are cached under bench/cache/, so a rerun encodes nothing. Results go to
bench/results/xquad.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import REPO, CachedEmbedder, percentile, write_result
from core.document import Document
from index.collection import Collection
from index.embedders.factory import create_embedder
from text.analyzer import analyze

logger = logging.getLogger("bench.xquad")

DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "xquad"
KS = (1, 5, 10)
DEV_ARTICLES = 24  # articles 0-23 chose the fusion weights; 24-47 are held out


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    gold: str  # doc id of the paragraph it was written on
    article: int


def load(data: Path) -> tuple[dict[str, list[Document]], dict[str, list[Question]]]:
    paragraphs: dict[str, list[Document]] = {}
    questions: dict[str, list[Question]] = {}
    for lang in ("ar", "en"):
        raw = json.loads((data / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        docs, qs = [], []
        for a, article in enumerate(raw["data"]):
            for paragraph in article["paragraphs"]:
                doc_id = f"{lang}-{len(docs):04d}"
                docs.append(Document(doc_id=doc_id, title="", text=paragraph["context"], lang=lang))
                qs.extend(Question(q["question"], lang, doc_id, a) for q in paragraph["qas"])
        paragraphs[lang], questions[lang] = docs, qs
    return paragraphs, questions


def _first_ranks(ranked_doc_ids: list[str], gold: str) -> int:
    """1-based rank of ``gold`` among distinct documents, 0 if absent."""
    seen: list[str] = []
    for d in ranked_doc_ids:
        if d not in seen:
            seen.append(d)
            if d == gold:
                return len(seen)
    return 0


def metrics(ranks: list[int]) -> dict[str, float]:
    r = np.asarray(ranks)
    out = {f"recall@{k}": float(np.mean((r > 0) & (r <= k))) for k in KS}
    out["mrr@10"] = float(np.mean(np.where((r > 0) & (r <= 10), 1.0 / np.maximum(r, 1), 0.0)))
    out["questions"] = len(ranks)
    return out


def evaluate(collection: Collection, questions: list[Question]) -> dict[str, list[int]]:
    snapshot = collection.snapshot()
    assert snapshot.catalog is not None
    doc_of = {cid: s.chunk.doc_id for cid, s in snapshot.catalog.chunks(snapshot.dense.all_ids()).items()}
    lexical_doc = [doc_of[int(i)] for i in snapshot.lexical.ids]
    ranks: dict[str, list[int]] = {"bm25": [], "dense": [], "hybrid": []}
    for q in questions:
        scores = snapshot.lexical.scores(analyze(q.text))
        order = np.argsort(-scores, kind="stable")[:50]
        ranks["bm25"].append(_first_ranks([lexical_doc[i] for i in order if scores[i] > 0], q.gold))
        hits = snapshot.dense.search(collection.query_vector(q.text), 50)
        ranks["dense"].append(_first_ranks([doc_of[int(i)] for i in hits.ids], q.gold))
        answer = collection.ask(q.text, top_k=50)
        ranks["hybrid"].append(_first_ranks([h.stored.chunk.doc_id for h in answer.hits], q.gold))
    return ranks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.ar.json, xquad.en.json"
    )
    parser.add_argument("--model", default="default")
    parser.add_argument("--latency-questions", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "bm25s", "index.snapshot", "index.store", "index.builder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not (args.data / "xquad.ar.json").exists():
        print(f"XQuAD not found in {args.data}; pass --data", file=sys.stderr)
        return 2

    paragraphs, questions = load(args.data)
    raw_embedder = create_embedder(args.model, models_dir=REPO / "data" / "models")
    embedder = CachedEmbedder(raw_embedder)
    pools = {
        "ar": paragraphs["ar"],
        "en": paragraphs["en"],
        "mixed": paragraphs["ar"] + paragraphs["en"],
    }
    settings = {
        "ar→ar": ("ar", questions["ar"]),
        "en→ar": (
            "ar",
            [Question(q.text, "en", q.gold.replace("en-", "ar-"), q.article) for q in questions["en"]],
        ),
        "en→en": ("en", questions["en"]),
        "mixed": ("mixed", questions["ar"] + questions["en"]),
    }
    results: dict[str, object] = {"model": raw_embedder.model_id, "settings": {}, "build": {}}
    with tempfile.TemporaryDirectory() as tmp:
        collections = {}
        for name, docs in pools.items():
            encode_before = embedder.encoded
            started = time.perf_counter()
            collection = Collection(Path(tmp) / name, embedder)
            report = collection.ingest(docs)
            seconds = time.perf_counter() - started
            embedder.save()
            results["build"][name] = {  # type: ignore[index]
                "documents": len(docs),
                "chunks": report.chunks_total,
                "seconds": round(seconds, 2),
                "texts_encoded_now": embedder.encoded - encode_before,
            }
            logger.info("built %s: %d chunks in %.1f s", name, report.chunks_total, seconds)
            collections[name] = collection
        for name, (pool, qs) in settings.items():
            ranks = evaluate(collections[pool], qs)
            embedder.save()
            entry = {system: metrics(r) for system, r in ranks.items()}
            held_out = [r for r, q in zip(ranks["hybrid"], qs, strict=True) if q.article >= DEV_ARTICLES]
            entry["hybrid, held-out articles"] = metrics(held_out)
            results["settings"][name] = entry  # type: ignore[index]
            logger.info("%s: %s", name, {k: round(v["recall@1"], 3) for k, v in entry.items()})

        # Latency of the whole question path with the real, uncached embedder.
        timed = Collection(collections["mixed"].data_dir, raw_embedder)
        sample = (questions["ar"] + questions["en"])[:: max(1, 2380 // args.latency_questions)]
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
        results["latency_ms"] = {
            "questions": len(sample),
            "ask_p50": round(percentile(full, 50), 2),
            "ask_p95": round(percentile(full, 95), 2),
            "search_only_p50": round(percentile(search_only, 50), 2),
            "search_only_p95": round(percentile(search_only, 95), 2),
        }
    path = write_result("xquad", results)
    print(markdown_table(results))
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


def markdown_table(results: dict) -> str:
    lines = [
        "| system | ar→ar | en→ar | en→en | mixed pool |",
        "|---|---|---|---|---|",
    ]
    systems = ["bm25", "dense", "hybrid", "hybrid, held-out articles"]
    for system in systems:
        cells = []
        for setting in ("ar→ar", "en→ar", "en→en", "mixed"):
            m = results["settings"][setting][system]
            cells.append(
                f"{m['recall@1']:.3f} / {m['recall@5']:.3f} / {m['recall@10']:.3f} / {m['mrr@10']:.3f}"
            )
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    lat = results["latency_ms"]
    lines.append("")
    lines.append(
        f"Query latency over {lat['questions']} questions (480 paragraphs, mixed pool): "
        f"full ask p50 {lat['ask_p50']} ms, p95 {lat['ask_p95']} ms; "
        f"search without embedding p50 {lat['search_only_p50']} ms, p95 {lat['search_only_p95']} ms."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
