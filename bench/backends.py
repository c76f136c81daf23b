"""The local backend against Milvus (milvus-lite server on loopback), in one run.

Over the repo's corpus plus the XQuAD paragraphs (both languages), with the default model:

* **ingest**: the whole collection indexed from scratch into each backend, the passage vectors
  read from the embedding cache (bench/cache, filled by an untimed first ingest), so the time is
  chunking, analysis and writing the version: the part that differs between backends;
* **migrate**: the local version copied into Milvus (``marja migrate --to milvus``);
* **/ask**: ``POST /ask`` in-process (FastAPI's TestClient) for the same questions (half Arabic,
  half English, from XQuAD), each asked on both backends back to back (the order alternates),
  question vectors warm, so the figure is the service's own work and the backend's round trips;
* **same answers**: for each question, whether both backends return the same passages (document,
  offsets) in the same order, with the same highlights.

    python -m bench.backends [--data ../shared/benchmarks/xquad] [--questions 100]

One run, on a shared machine: report medians and the ratio, not absolute promises. Results go
to bench/results/backends.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench.common import REPO, CachedEmbedder, percentile, write_result
from bench.query_path import NOISY_LOGGERS, corpus_documents, questions_and_paragraphs
from bench.xquad import DEFAULT_DATA
from core.document import Document
from harness.milvus import MilvusLiteServer
from index.backends.factory import BackendConfig
from index.collection import Collection
from index.embedders.factory import create_embedder
from index.store import IndexStore
from service.app import create_app
from service.settings import Settings

logger = logging.getLogger("bench.backends")

TOP_K = 5
API_KEY = "bench-backends-key-0123456789"


def _ingest(collection: Collection, documents: list[Document]) -> dict[str, float]:
    started = time.perf_counter()
    report = collection.ingest(documents)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "chunks": report.chunks_total, "chunks_per_s": report.chunks_total / seconds}


def _answer(client: TestClient, question: str) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    r = client.post("/ask", json={"question": question, "top_k": TOP_K})
    ms = (time.perf_counter() - started) * 1000
    r.raise_for_status()
    passages = [
        (c["doc_id"], c["start"], c["end"], [(h["start"], h["end"]) for h in p["highlights"]])
        for p in r.json()["passages"]
        for c in [p["citation"]]
    ]
    return ms, passages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with xquad.{ar,en}.json")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--model", default="default")
    parser.add_argument("--name", default="backends", help="results file: bench/results/<name>.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    questions, paragraphs = questions_and_paragraphs(args.data, args.questions)
    documents = corpus_documents() + paragraphs
    embedder = CachedEmbedder(create_embedder(args.model, models_dir=REPO / "data" / "models"))
    embedder.warm_up()
    with tempfile.TemporaryDirectory(prefix="marja-bench-backends-") as tmp:
        root = Path(tmp)
        Collection(root / "warm", embedder).ingest(documents)  # fills the embedding cache
        embedder.embed_queries([q.text for q in questions])
        embedder.save()
        with MilvusLiteServer(root / "milvus", root / "milvus.log") as server:
            milvus = BackendConfig(kind="milvus", milvus_uri=server.uri, milvus_prefix="bench")
            local = Collection(root / "local", embedder)
            remote = Collection(root / "remote", embedder, backend=milvus)
            ingest = {"local": _ingest(local, documents), "milvus": _ingest(remote, documents)}
            copy = BackendConfig(kind="milvus", milvus_uri=server.uri, milvus_prefix="copy")
            copied = Collection(root / "copy", embedder, backend=copy)
            migration = copied.migrate_from(IndexStore(root / "local" / "index"))
            settings = Settings(
                data_dir=root / "local", api_keys=[API_KEY], rate_limit="off", backend="local"
            )
            clients = {
                "local": TestClient(create_app(settings, collection=local)),
                "milvus": TestClient(create_app(settings, collection=remote)),
            }
            ms: dict[str, list[float]] = {"local": [], "milvus": []}
            same = 0
            differences: list[str] = []
            with clients["local"], clients["milvus"]:
                for client in clients.values():  # one untimed question each: lazy loads
                    _answer(client, questions[0].text)
                for i, q in enumerate(questions):
                    order = ("local", "milvus") if i % 2 == 0 else ("milvus", "local")
                    answers = {}
                    for name in order:
                        took, answers[name] = _answer(clients[name], q.text)
                        ms[name].append(took)
                    if answers["local"] == answers["milvus"]:
                        same += 1
                    else:
                        differences.append(q.text)
    result = {
        "documents": len(documents),
        "chunks": ingest["local"]["chunks"],
        "questions": len(questions),
        "ingest": ingest,
        "migrate_seconds": migration.seconds,
        "ask_ms": {name: {"p50": statistics.median(v), "p95": percentile(v, 95)} for name, v in ms.items()},
        "ask_p50_ratio": statistics.median(ms["milvus"]) / statistics.median(ms["local"]),
        "same_answers": same,
        "differences": differences,
    }
    path = write_result(args.name, result)
    logger.info("wrote %s", path)
    print(f"{len(documents)} documents, {result['chunks']} chunks, {len(questions)} questions\n")
    print("| backend | ingest (s) | chunks/s | /ask p50 (ms) | /ask p95 (ms) |")
    print("|---|---|---|---|---|")
    for name in ("local", "milvus"):
        i, a = ingest[name], result["ask_ms"][name]
        print(f"| {name} | {i['seconds']:.1f} | {i['chunks_per_s']:.0f} | {a['p50']:.1f} | {a['p95']:.1f} |")
    print(
        f"\nmigrate local → milvus: {migration.seconds:.1f} s; same passages and highlights: "
        f"{same}/{len(questions)}"
    )


if __name__ == "__main__":
    main()
