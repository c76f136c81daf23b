"""Text embedders: one interface, one file per backend."""

from index.embedders.base import Embedder

__all__ = ["Embedder"]
