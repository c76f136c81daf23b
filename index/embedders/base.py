"""The interface every embedder implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

ProgressFn = Callable[[int], None]
"""Called with the number of texts just finished, so callers can drive a progress bar."""


@runtime_checkable
class Embedder(Protocol):
    """Turns questions and passages into L2-normalised float32 vectors.

    ``model_id`` identifies the vector space: two embedders with the same id must produce
    interchangeable vectors. It is written into every index manifest, and an index built
    with another id refuses to load.
    """

    @property
    def model_id(self) -> str: ...

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
