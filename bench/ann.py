"""Approximate dense indexes compared on the scale benchmark's vectors.

    python -m bench.ann --vectors bench/cache/scale/n1000000/vectors.npy

Run ``python -m bench.scale`` first: it writes the collection's vectors (``vectors.npy``, real
e5 vectors and vectors sampled around them) and caches the question vectors. For each index
kind this builds the index over all the vectors with FAISS and reports, for a sweep of its
search breadth, recall@10 against exact search and single-question latency on one thread
(the setting the product searches with). Results go to bench/results/ann.json.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench.common import percentile, write_result
from bench.synthetic import exact_top, load_questions, question_vectors
from index.backends.faiss_dense import HNSW_EF_CONSTRUCTION, HNSW_M

logger = logging.getLogger("bench.ann")


def set_breadth(index: Any, breadth: int) -> None:
    """efSearch of an HNSW index, nprobe of an IVF one."""
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = breadth
    else:
        index.nprobe = breadth


def sweep(
    index: Any, breadths: list[int], queries: np.ndarray, truth: np.ndarray
) -> dict[str, dict[str, float]]:
    out = {}
    for breadth in breadths:
        set_breadth(index, breadth)
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        hits, ms = 0, []
        for q, exact in zip(queries, truth, strict=True):
            t = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 100)  # the product's candidate pool
            ms.append((time.perf_counter() - t) * 1000)
            hits += len(set(ids[0][:10].tolist()) & set(exact.tolist()))
        faiss.omp_set_num_threads(before)
        out[str(breadth)] = {
            "recall@10": round(hits / (10 * len(queries)), 4),
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
        }
        logger.info("  breadth %d: %s", breadth, out[str(breadth)])
    return out


def build(kind: str, vectors: np.ndarray) -> Any:
    dim = vectors.shape[1]
    if kind == "hnsw-flat":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    elif kind == "hnsw-sq8":
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    elif kind == "ivf-flat":
        nlist = 4 * int(np.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    else:
        raise ValueError(kind)
    if kind.startswith("hnsw"):
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    if not index.is_trained:
        index.train(vectors[:: max(1, len(vectors) // 200_000)])
    index.add(vectors)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=Path, required=True, help="vectors.npy written by bench.scale")
    parser.add_argument("--kinds", nargs="+", default=["ivf-flat", "hnsw-sq8"])
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    vectors = np.ascontiguousarray(np.load(args.vectors, mmap_mode="r"), dtype=np.float32)
    queries = question_vectors(load_questions(args.questions)).astype(np.float32)
    truth = exact_top(vectors, queries, 10)
    breadths = {
        "hnsw-flat": [256, 384, 512, 768],
        "hnsw-sq8": [256, 384, 512, 768],
        "ivf-flat": [32, 64, 128, 256],
    }
    results: dict[str, Any] = {"vectors": len(vectors), "questions": len(queries), "kinds": {}}
    for kind in args.kinds:
        logger.info("%s: building over %d vectors", kind, len(vectors))
        t = time.perf_counter()
        index = build(kind, vectors)
        entry: dict[str, Any] = {
            "build_seconds": round(time.perf_counter() - t, 1),
            "breadth": "efSearch" if kind.startswith("hnsw") else "nprobe",
            "sweep": sweep(index, breadths[kind], queries, truth),
        }
        results["kinds"][kind] = entry
        write_result("ann", results)  # keep what is measured if a later kind fails
        index = None
    path = write_result("ann", results)
    for kind, entry in results["kinds"].items():
        for breadth, r in entry["sweep"].items():
            print(
                f"{kind} {entry['breadth']}={breadth}: recall@10 {r['recall@10']:.3f}, p50 {r['p50_ms']} ms"
            )
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
