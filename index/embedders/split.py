"""One vector space, two engines: one for questions, another for passages."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.embedders.base import Embedder, ProgressFn


class SplitEmbedder:
    """Questions go to ``questions``, passages to ``passages``; both must share ``model_id``."""

    def __init__(self, *, questions: Embedder, passages: Embedder) -> None:
        if questions.model_id != passages.model_id or questions.dim != passages.dim:
            raise ValueError(f"{questions.model_id} and {passages.model_id} are not one vector space")
        self.questions = questions
        self.passages = passages
        self.model_id = questions.model_id
        self.dim = questions.dim
        self.engine = f"{questions.engine} for questions, {passages.engine} for passages"

    def warm_up(self) -> None:
        self.questions.warm_up()
        self.passages.warm_up()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.questions.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        return self.passages.embed_passages(texts, progress=progress)
