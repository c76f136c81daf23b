"""Scale benchmark: synthetic collections of 10k to 1M chunks through the product's index path.

    python -m bench.scale --sizes 10000 100000 1000000

Text: real sentences (XQuAD paragraphs from ../shared/benchmarks/xquad, read at run time, plus
the repo's corpus/) recombined at random (seeded) into chunk-sized paragraphs of 3-6 sentences,
half Arabic, half English, 100 chunks to a document. Vectors: a few thousand of those paragraphs
are embedded for real with the bundled multilingual-e5-small (cached under bench/cache/); every
other chunk gets a vector sampled around a real one of its language (the real vector plus
Gaussian noise, renormalised), so the neighbourhood structure stays that of e5.

Each collection is built by the product's builder (chunking, catalog, FAISS, BM25, manifest,
publish) with an embedder that looks the precomputed vectors up by text; sentence vectors are
off for the synthetic runs (``BuildOptions(sentence_vectors=False)``). Then fresh processes
measure start-up, memory, query latency (question vectors precomputed, so this is search alone;
and the full path with the real embedder on a smaller sample) and recall@10 of the approximate
dense index against exact search on the same vectors.

Results go to bench/results/scale.json (``--name`` to change) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, RESULTS, write_result
from bench.scale_workers import worker_build, worker_probe, worker_recall
from bench.synthetic import (
    DIM,
    NOISE_COS,
    WORK,
    base_vectors,
    load_questions,
    load_sentences,
    question_vectors,
)

logger = logging.getLogger("bench.scale")


# -- driver ----------------------------------------------------------------------------------


def _run_worker(kind: str, n: int, args: argparse.Namespace, *, code: Path | None = None) -> dict[str, Any]:
    """Run one measurement in a fresh process; ``code``: a checkout whose ``index`` package to use
    (on the collections under ``--compare-work``)."""
    work = args.compare_work if code and args.compare_work else args.work
    out = work / f"n{n}" / f"{kind}{'-compare' if code else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "bench.scale", "--worker", kind, "--sizes", str(n),
        "--work", str(work), "--base", str(args.base), "--questions", str(args.questions),
        "--full-questions", str(args.full_questions), "--out", str(out),
        "--started", repr(time.time()), "--chunk-language", args.chunk_language,
        "--ef", *map(str, args.ef),
    ]  # fmt: skip
    logger.info("n=%d: %s%s", n, kind, f" with {code}" if code else "")
    subprocess.run(cmd, check=True, cwd=code)  # `python -m` imports from the working directory
    return json.loads(out.read_text())


def _worker_main(args: argparse.Namespace) -> int:
    n = args.sizes[0]
    if args.worker == "build":
        result = worker_build(n, args.work, args.base, args.chunk_language)
    elif args.worker == "probe":
        result = worker_probe(n, args.work, args.questions, args.full_questions, args.started)
    else:
        result = worker_recall(n, args.work, args.questions, args.ef)
    args.out.write_text(json.dumps(result, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--base", type=int, default=4000, help="paragraphs embedded for real")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--full-questions", type=int, default=40, help="questions through the real model")
    parser.add_argument("--ef", type=int, nargs="*", default=[64, 128, 256, 384, 512, 768, 1024])
    parser.add_argument(
        "--chunk-language",
        choices=["product", "script"],
        default="product",
        help="language of each chunk: the product's langdetect, or by script (bench shortcut)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=WORK,
        help="where collections are built (vectors: bench/cache/scale)",
    )
    parser.add_argument("--reuse", action="store_true", help="do not rebuild collections already built")
    parser.add_argument(
        "--compare", type=Path, help="also query each collection with the `index` package of this checkout"
    )
    parser.add_argument(
        "--compare-work", type=Path, help="collections for --compare (default: --work, the same ones)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating probes per side with --compare")
    parser.add_argument("--name", default="scale", help="results file bench/results/NAME.json")
    parser.add_argument("--note", default="", help="stored with the results")
    parser.add_argument("--append", action="store_true", help="add these sizes to an existing NAME.json")
    parser.add_argument("--worker", choices=["build", "probe", "recall"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "bm25s", "index.snapshot", "index.store", "index.builder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.worker:
        return _worker_main(args)

    sentences = load_sentences()
    base_vectors(sentences, args.base)  # embed (or load) once, before timing
    question_vectors(load_questions(args.questions))
    results: dict[str, Any] = {
        "note": args.note,
        "base_real_vectors": args.base,
        "sentences": {k: len(v) for k, v in sentences.items()},
        "noise_cos": NOISE_COS,
        "sentence_vectors": False,
        "chunk_language": args.chunk_language,
        "work": str(args.work),
        "sizes": {},
    }
    previous = RESULTS / f"{args.name}.json"
    if args.append and previous.exists():
        results["sizes"] = json.loads(previous.read_text())["sizes"]
    for n in args.sizes:
        entry: dict[str, Any] = {}
        built = args.work / f"n{n}" / "build.json"
        if args.reuse and built.exists() and (args.work / f"n{n}" / "data" / "index" / "CURRENT").exists():
            entry["build"] = json.loads(built.read_text())
            entry["build"]["reused"] = True
        else:
            entry["build"] = _run_worker("build", n, args)
        entry["chunk_language"] = entry["build"].get("chunk_language", args.chunk_language)
        if args.compare:  # the same build queried by other code, alternating to share the noise
            entry["compare"] = {
                "code": str(args.compare),
                "work": str(args.compare_work or args.work),
                "probes": [],
                "recall": None,
            }
            compare_build = (args.compare_work or args.work) / f"n{n}" / "build.json"
            if compare_build.exists():
                entry["compare"]["build"] = json.loads(compare_build.read_text())
            probes = []
            for _ in range(args.rounds):
                entry["compare"]["probes"].append(_run_worker("probe", n, args, code=args.compare))
                probes.append(_run_worker("probe", n, args))
            entry["compare"]["recall"] = _run_worker("recall", n, args, code=args.compare)
            entry["probe"] = probes[-1]
            entry["probes"] = probes
        else:
            entry["probe"] = _run_worker("probe", n, args)
        entry["recall"] = _run_worker("recall", n, args)
        results["sizes"][str(n)] = entry
        write_result(args.name, results)  # keep what is measured if a later size fails
        logger.info("n=%d: %s", n, json.dumps(_row(n, entry)))
    results["sizes"] = dict(sorted(results["sizes"].items(), key=lambda kv: int(kv[0])))
    path = write_result(args.name, results)
    print(markdown_table(results))
    if any("compare" in e for e in results["sizes"].values()):
        print("\nBefore → after (the same questions, alternating fresh processes):\n")
        print(comparison_table(results))
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


def _row(n: int, entry: dict[str, Any]) -> dict[str, Any]:
    build, probe, recall = entry["build"], entry["probe"], entry["recall"]
    disk = build["disk_mib"]
    lexical = sum(v for k, v in disk.items() if k.startswith("lexical/"))
    rss = probe["rss_mib"]["after_load"]
    raw_vectors = n * DIM * 4 / 2**20
    return {
        "chunks": n,
        "dense": build["dense_kind"],
        "build_s": build["build_seconds"],
        "stages": build["build_stages_seconds"],
        "disk_total_mib": round(sum(disk.values()), 1),
        "disk_dense_mib": disk.get("dense.faiss", 0.0),
        "disk_lexical_mib": round(lexical, 1),
        "disk_catalog_mib": disk.get("catalog.sqlite", 0.0),
        "rss_after_load_mib": rss.get("VmRSS"),
        "rss_anon_mib": rss.get("RssAnon"),
        "rss_after_queries_mib": probe["rss_mib"]["after_queries"].get("VmRSS"),
        "rss_budget_mib": round(2 * (raw_vectors + lexical), 1),
        "startup_s": probe["startup"]["load_and_first_query_s"],
        "load_s": probe["startup"]["load_snapshot_s"],
        "process_to_first_answer_s": probe["startup"]["process_to_first_answer_s"],
        "search_p50_ms": probe["query_ms"]["search"]["p50"],
        "search_p95_ms": probe["query_ms"]["search"]["p95"],
        "first_pass_p50_ms": probe["query_ms"].get("search_first_pass", {}).get("p50"),
        "first_pass_p95_ms": probe["query_ms"].get("search_first_pass", {}).get("p95"),
        "dense_p50_ms": probe["query_ms"]["dense_only"]["p50"],
        "bm25_p50_ms": probe["query_ms"]["bm25_only"]["p50"],
        "full_p50_ms": probe["full_path_ms"]["p50"],
        "full_p95_ms": probe["full_path_ms"]["p95"],
        "recall@10": recall["default"]["recall@10_of_pool100"],
    }


def markdown_table(results: dict[str, Any]) -> str:
    rows = [_row(int(n), e) for n, e in results["sizes"].items()]

    def stage(stages: dict[str, float], prefix: str) -> float:
        return sum(v for k, v in stages.items() if k.startswith(prefix))

    lines = [
        "| chunks | dense index | build: total (chunking / catalog / dense / BM25) "
        "| on disk: total (dense / BM25 / catalog) | RSS after load / after 200 questions (goal) "
        "| start-up: load / first answer | search p50 / p95: first pass, steady "
        "| whole ask with the model p50 / p95 | dense recall@10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["stages"]
        mib = "MiB"
        lines.append(
            f"| {r['chunks']:,} | {r['dense']} "
            f"| {_duration(r['build_s'])} ({_duration(stage(s, 'chunking'))} / "
            f"{_duration(stage(s, 'catalog'))} / {_duration(stage(s, 'dense'))} / "
            f"{_duration(stage(s, 'lexical'))}) "
            f"| {r['disk_total_mib']:,.0f} {mib} ({r['disk_dense_mib']:,.0f} / "
            f"{r['disk_lexical_mib']:,.0f} / {r['disk_catalog_mib']:,.0f}) "
            f"| {r['rss_after_load_mib']:,.0f} / {r['rss_after_queries_mib']:,.0f} {mib} "
            f"(≤ {r['rss_budget_mib']:,.0f}) "
            f"| {r['load_s']:.2f} s / {r['startup_s']:.2f} s "
            f"| {_ms_pair(r['first_pass_p50_ms'], r['first_pass_p95_ms'])}, "
            f"{_ms_pair(r['search_p50_ms'], r['search_p95_ms'])} "
            f"| {r['full_p50_ms']:.0f} / {r['full_p95_ms']:.0f} ms "
            f"| {r['recall@10']:.3f} |"
        )
    return "\n".join(lines)


def comparison_table(results: dict[str, Any]) -> str:
    """Before (``--compare`` code and collections) → after, per size; medians over the rounds."""

    def med(probes: list[dict[str, Any]], *path: str) -> float:
        values = []
        for probe in probes:
            value: Any = probe
            for key in path:
                value = value[key]
            values.append(float(value))
        return float(np.median(values))

    lines = [
        "| chunks | search p50 | search p95 | dense search p50 | BM25 p50 | whole ask p50 "
        "| RSS after load | RSS after 200 questions | load | first answer | dense recall@10 | build |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, entry in results["sizes"].items():
        if "compare" not in entry:
            continue
        before, after = entry["compare"]["probes"], entry.get("probes", [entry["probe"]])
        cells = []
        for path, unit, digits in (
            (("query_ms", "search", "p50"), "ms", 1),
            (("query_ms", "search", "p95"), "ms", 1),
            (("query_ms", "dense_only", "p50"), "ms", 2),
            (("query_ms", "bm25_only", "p50"), "ms", 2),
            (("full_path_ms", "p50"), "ms", 0),
            (("rss_mib", "after_load", "VmRSS"), "MiB", 0),
            (("rss_mib", "after_queries", "VmRSS"), "MiB", 0),
            (("startup", "load_snapshot_s"), "s", 2),
            (("startup", "load_and_first_query_s"), "s", 2),
        ):
            b, a = med(before, *path), med(after, *path)
            ratio = f" (×{a / b:.2f})" if b else ""
            cells.append(f"{b:,.{digits}f} → {a:,.{digits}f} {unit}{ratio}")
        rb = entry["compare"]["recall"]["default"]["recall@10_of_pool100"]
        ra = entry["recall"]["default"]["recall@10_of_pool100"]
        cells.append(f"{rb:.3f} → {ra:.3f}")
        bb = entry["compare"].get("build", {}).get("build_seconds")
        ba = entry["build"]["build_seconds"]
        cells.append(f"{_duration(bb)} → {_duration(ba)}" if bb else _duration(ba))
        lines.append(f"| {int(n):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ms_pair(p50: float | None, p95: float | None) -> str:
    return "–" if p50 is None or p95 is None else f"{p50:.1f} / {p95:.1f} ms"


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


if __name__ == "__main__":
    sys.exit(main())
