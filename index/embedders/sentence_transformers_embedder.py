"""Any sentence-transformers model: a hub name (when the hub is reachable) or a local directory."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelUnavailable
from index.embedders.base import MAX_QUESTION_TOKENS, ProgressFn, as_unit_rows

logger = logging.getLogger(__name__)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def require_available(name: str, *, built_in: Sequence[str]) -> None:
    """Raise :class:`ModelUnavailable` when ``name`` cannot load here: not a local directory and,
    with the hub offline (as marja runs), not in the Hugging Face cache either. ``built_in``: the
    engine names marja knows, which the message lists."""
    if Path(name).is_dir() or not _offline():
        return  # a local model, or the hub may have it (loading says so if not)
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not even a valid hub name
        cached = None
    if not isinstance(cached, str):
        raise ModelUnavailable(
            f"no embedding model {name!r} (MARJA_MODEL / --model): it is not one of "
            f"{', '.join(map(repr, built_in))}, nor a local sentence-transformers model directory, "
            "nor in the Hugging Face cache (marja runs offline)"
        )


def load_sentence_transformer(name: str, *, device: str = "cpu") -> Any:
    """``SentenceTransformer(name)``; a model that cannot load is :class:`ModelUnavailable`."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name, device=device)
    except (OSError, ValueError) as e:
        raise ModelUnavailable(
            f"cannot load the sentence-transformers model {name!r}: {str(e).rstrip('.')}. "
            "Give a local model directory, or a hub name on a machine that can reach the hub."
        ) from e


# Models trained with instruction prefixes but whose configuration carries no prompts.
_KNOWN_PREFIXES = {"e5": ("query: ", "passage: ")}


def prompts_of(model: Any, name: str) -> tuple[str, str]:
    """The (question, passage) prefixes of a loaded ``SentenceTransformer`` called ``name``."""
    prompts = getattr(model, "prompts", {}) or {}
    if "query" in prompts:
        return prompts["query"], prompts.get("passage", prompts.get("document", ""))
    for key, pair in _KNOWN_PREFIXES.items():
        if key in name.lower():
            return pair
    return "", ""


class SentenceTransformerEmbedder:
    """Wraps ``SentenceTransformer``; uses the model's own query/passage prompts when it has them.

    ``model_id`` defaults to the model name; a local conversion of a published model may pass
    the published name so indexes built with either are interchangeable.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        model_id: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.model_name = str(model)
        self.model_id = model_id or self.model_name
        self.engine = "sentence-transformers-torch"
        self.batch_size = batch_size
        self.device = device
        self.threads = threads
        self._model: Any = None
        self._dim: int | None = None

    def warm_up(self) -> None:
        if self._model is not None:
            return
        try:
            import sentence_transformers  # noqa: F401
            import torch
        except ImportError as e:  # pragma: no cover - dependencies of the package
            raise ImportError("this embedder needs `pip install sentence-transformers torch==2.13.0`") from e
        if self.threads:
            torch.set_num_threads(self.threads)
        self._model = load_sentence_transformer(self.model_name, device=self.device)
        self._dim = int(self._model.get_embedding_dimension())
        logger.info("loaded sentence-transformers model %s (%d-d)", self.model_name, self._dim)

    @property
    def dim(self) -> int:
        self.warm_up()
        assert self._dim is not None
        return self._dim

    def _prompts(self) -> tuple[str, str]:
        return prompts_of(self._model, self.model_name)

    def capped_question(self, text: str) -> str:
        """The prompt and the start of ``text`` that fit in :data:`MAX_QUESTION_TOKENS` tokens."""
        self.warm_up()
        prompted = self._prompts()[0] + text
        encoding = self._model.tokenizer(
            prompted, truncation=True, max_length=MAX_QUESTION_TOKENS, return_offsets_mapping=True
        )
        ends = [end for start, end in encoding["offset_mapping"] if end > start]
        if len(encoding["input_ids"]) < MAX_QUESTION_TOKENS or not ends:
            return prompted
        return prompted[: max(ends)]

    def _encode(self, texts: Sequence[str], prefix: str | None, progress: ProgressFn | None) -> np.ndarray:
        self.warm_up()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 4  # report progress every few batches
        for start in range(0, len(texts), step):
            part = texts[start : start + step]
            batch = [self.capped_question(t) for t in part] if prefix is None else [prefix + t for t in part]
            out[start : start + len(batch)] = self._model.encode(
                batch,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress is not None:
                progress(len(batch))
        return as_unit_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, None, None)  # prompted and capped by capped_question

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        self.warm_up()
        return self._encode(texts, self._prompts()[1], progress)
