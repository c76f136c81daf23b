"""A sentence embedder on ONNX Runtime: no torch, no transformers at run time.

The directory (written by :mod:`index.model_build.onnx_folder`) holds the graph, its tokenizer
and :class:`~index.embedders.onnx_config.OnnxModelConfig`. Threads, for a small shared machine:

* every model call runs on ONE intra-op thread. On two busy cores a second intra-op thread
  made a question 2-8× slower (its threads spin and wait for each other), while concurrent
  questions already keep every core busy, each on its own server thread;
* passages are embedded in batches of similar length (little padding), ``workers`` batches
  at a time: one for the server, which must keep answering, all cores for a bulk ingest;
* each question runs in a call of its own. Sharing calls between concurrent questions was
  measured (bench/engines.py, README): with the 4-bit engine it halved the throughput.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.embedders.base import MAX_QUESTION_TOKENS, ProgressFn, as_unit_rows
from index.embedders.onnx_config import OnnxModelConfig
from index.embedders.token_ids import TokenIds

logger = logging.getLogger(__name__)

PASSAGE_BATCH_TOKENS = 2048
"""Token budget of one passage batch (e.g. 16 passages of 128 tokens): larger batches pad
more and hold more memory, for no gain on a small CPU."""
PASSAGE_BATCH_MAX = 32


class ModelTokenizer(Protocol):
    def encode(self, texts: Sequence[str], *, max_tokens: int) -> TokenIds: ...


def load_tokenizer(directory: Path, config: OnnxModelConfig) -> ModelTokenizer:
    if config.tokenizer == "e5-sentencepiece":
        from index.embedders.e5_tokenizer import E5Tokenizer

        return E5Tokenizer(directory)
    from index.embedders.hf_tokenizer import HFTokenizer

    return HFTokenizer(directory, pad_id=config.pad_id, split_special_tokens=config.split_special_tokens)


class OnnxEmbedder:
    """Embeds with the ONNX graph in ``directory``; ``model_id`` names its vector space."""

    def __init__(self, directory: Path, *, model_id: str, workers: int | None = None) -> None:
        self.directory = Path(directory)
        self.config = OnnxModelConfig.load(self.directory)
        self.model_id = model_id
        self.dim = self.config.dim
        self.engine = f"onnxruntime-{self.config.precision}"
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.question_tokens = min(MAX_QUESTION_TOKENS, self.config.max_tokens)
        self._session: Any = None
        self._tokenizer: ModelTokenizer | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.log_severity_level = 3
                # Without ONNX Runtime's arena, the memory of a large passage batch goes back to
                # the system afterwards instead of staying with a long-running server.
                options.enable_cpu_mem_arena = False
                self._tokenizer = load_tokenizer(self.directory, self.config)
                self._session = ort.InferenceSession(
                    str(self.directory / self.config.model_file), options, providers=["CPUExecutionProvider"]
                )
                logger.info("loaded %s (%s) on ONNX Runtime", self.model_id, self.config.precision)

    def tokenize_queries(self, texts: Sequence[str]) -> list[TokenIds]:
        """The model inputs of each question, capped at :data:`MAX_QUESTION_TOKENS` tokens."""
        self.warm_up()
        assert self._tokenizer is not None
        prefix = self.config.query_prefix
        return [self._tokenizer.encode([prefix + t], max_tokens=self.question_tokens) for t in texts]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, tokens in enumerate(self.tokenize_queries(texts)):
            out[i] = self._run(tokens)[0]  # alone: a vector never depends on other questions
        return as_unit_rows(out) if self.config.normalize else out

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        self.warm_up()
        assert self._tokenizer is not None
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        prefix = self.config.passage_prefix
        rows = [
            self._tokenizer.encode([prefix + t], max_tokens=self.config.max_tokens).ids[0].tolist()
            for t in texts
        ]
        batches = list(_length_batches(rows))

        def run(batch: list[int]) -> tuple[list[int], np.ndarray]:
            return batch, self._run_rows([rows[i] for i in batch])

        with ThreadPoolExecutor(max_workers=min(self.workers, len(batches))) as pool:
            for batch, vectors in pool.map(run, batches):
                out[batch] = vectors
                if progress is not None:
                    progress(len(batch))
        return as_unit_rows(out) if self.config.normalize else out

    def _run_rows(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        return self._run(TokenIds.from_lists(rows, pad_id=getattr(self._tokenizer, "pad_id", 0)))

    def _run(self, tokens: TokenIds) -> np.ndarray:
        self.warm_up()
        (hidden,) = self._session.run(None, tokens.feeds(self.config.inputs))
        return _pool(hidden, tokens.mask, self.config.pooling)


def _length_batches(rows: Sequence[Sequence[int]]) -> Iterator[list[int]]:
    """Indices of ``rows`` grouped by length, each group within the token budget."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    batch: list[int] = []
    for i in order:
        if batch and (
            len(batch) >= PASSAGE_BATCH_MAX or (len(batch) + 1) * len(rows[i]) > PASSAGE_BATCH_TOKENS
        ):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        return np.asarray(hidden[:, 0], dtype=np.float32)
    weights = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(weights > 0, hidden, -np.inf).max(axis=1).astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
