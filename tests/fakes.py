"""A small deterministic embedder for fast unit tests (never used by the product)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embedders.base import ProgressFn, as_unit_rows
from text.analyzer import analyze


class FakeEmbedder:
    """Bag-of-terms hashed into a small space: texts sharing terms get similar vectors.

    Deterministic across runs and machines, fast, and good enough to test ranking plumbing.
    """

    model_id = "fake-hash-64"
    engine = "fake"
    dim = 64

    def __init__(self) -> None:
        self.passages_embedded = 0

    def warm_up(self) -> None:
        """Nothing to load."""

    def _vector(self, text: str) -> np.ndarray:
        return _hashed_terms(text, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return as_unit_rows(np.stack([self._vector(t) for t in texts]).reshape(len(texts), self.dim))

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        self.passages_embedded += len(texts)
        if progress is not None:
            progress(len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return as_unit_rows(np.stack([self._vector(t) for t in texts]))


class LanguageBiasedEmbedder(FakeEmbedder):
    """The fake embedder plus a strong direction per script, as multilingual models have: texts
    in one language are all alike along it, so raw cosines favour the question's language."""

    model_id = "fake-hash-64-biased"
    dim = 66  # the 64 hashed dimensions, then one per script

    def __init__(self, bias: float = 1.0) -> None:
        super().__init__()
        self.bias = bias

    def _vector(self, text: str) -> np.ndarray:
        topic = _hashed_terms(text, 64)
        v = np.zeros(self.dim, dtype=np.float32)
        v[:64] = topic / np.linalg.norm(topic)
        arabic = any("\u0621" <= ch <= "\u064a" for ch in text)
        v[64 if arabic else 65] = self.bias
        return v


def _hashed_terms(text: str, dim: int) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    for term in analyze(text) or [text]:
        h = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
        v[int.from_bytes(h[:4], "little") % dim] += 1.0
        v[int.from_bytes(h[4:], "little") % dim] += 0.5
    if not v.any():
        v[0] = 1.0
    return v
