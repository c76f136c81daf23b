"""The interface every embedder implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

ProgressFn = Callable[[int], None]
"""Called with the number of texts just finished, so callers can drive a progress bar."""

MAX_QUESTION_TOKENS = 48
"""Every engine embeds at most this many model tokens of a question (its start, the ``query:``
prefix and special tokens included), so no question costs much more than a normal one: a
model call grows with its tokens, the median XQuAD question has 20 and 99.9% have at most 47
(bench/engines.py). Passages keep the model's own limit (512 for multilingual-e5-small)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns questions and passages into L2-normalised float32 vectors.

    ``model_id`` identifies the vector space: two embedders with the same id must produce
    interchangeable vectors. It is written into every index manifest, and an index built
    with another id refuses to load. ``engine`` names what computes them (runtime and
    precision): engines of one model agree only to within a small cosine distance.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def engine(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def warm_up(self) -> None:
        """Load the model now (it is otherwise loaded on first use); calling it again is free."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions; returns an array of shape (len(texts), dim)."""
        ...

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        """Embed passages; returns an array of shape (len(texts), dim)."""
        ...


def as_unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` as C-contiguous float32 rows of unit length."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    if out.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {out.shape}")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, np.maximum(norms, 1e-12), out=out)
    return out
