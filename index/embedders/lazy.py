"""An embedder whose engine is made on first use (a model built once, loaded, or both)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from index.embedders.base import Embedder, ProgressFn


class LazyEmbedder:
    """Stands for the embedder ``make()`` returns; calls it once, when first needed.

    ``model_id`` is known up front (index manifests are checked against it without loading
    anything); ``dim`` and ``engine`` may be given when known, else they load the engine.
    """

    def __init__(
        self,
        model_id: str,
        make: Callable[[], Embedder],
        *,
        dim: int | None = None,
        engine: str | None = None,
    ) -> None:
        self.model_id = model_id
        self._make = make
        self._dim = dim
        self._engine = engine
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._make()
        return self._inner

    @property
    def dim(self) -> int:
        return self._dim if self._dim is not None else self.inner.dim

    @property
    def engine(self) -> str:
        return self._engine if self._engine is not None else self.inner.engine

    def warm_up(self) -> None:
        self.inner.warm_up()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        return self.inner.embed_passages(texts, progress=progress)
