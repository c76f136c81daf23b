"""bench.common.CachedEmbedder: one cache file per engine, shared by every embedder using it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.common import CachedEmbedder
from index.embedders.base import ProgressFn
from index.embedders.split import SplitEmbedder
from tests.fakes import FakeEmbedder


class _Engine(FakeEmbedder):
    """The fake embedder under another engine name, counting the texts it is asked to embed."""

    def __init__(self, engine: str, *, scale: float = 1.0) -> None:
        super().__init__()
        self.engine = engine
        self.scale = scale
        self.queries_embedded = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries_embedded += len(texts)
        return super().embed_queries(texts) * self.scale

    def embed_passages(self, texts: Sequence[str], *, progress: ProgressFn | None = None) -> np.ndarray:
        return super().embed_passages(texts, progress=progress) * self.scale


PASSAGES = ["The council met in Addis Ababa in 2019.", "اجتمع المجلس في أديس أبابا عام 2019."]
QUESTIONS = ["Where did the council meet?", "أين اجتمع المجلس؟"]


def test_a_split_embedder_fills_and_reads_each_engines_own_file(tmp_path: Path) -> None:
    questions, passages = _Engine("q-engine", scale=-1.0), _Engine("p-engine")
    split = CachedEmbedder(SplitEmbedder(questions=questions, passages=passages), tmp_path)
    q = split.embed_queries(QUESTIONS)
    p = split.embed_passages(PASSAGES)
    split.save()
    assert len(list(tmp_path.glob("embeddings-*.npz"))) == 2

    # Each engine alone finds the vectors the split embedder cached for it, and nothing else.
    alone_p = _Engine("p-engine")
    cached_p = CachedEmbedder(alone_p, tmp_path)
    np.testing.assert_array_equal(cached_p.embed_passages(PASSAGES), p)
    assert alone_p.passages_embedded == 0
    cached_p.embed_queries(QUESTIONS)
    assert alone_p.queries_embedded == len(QUESTIONS)  # the questions were the other engine's

    alone_q = _Engine("q-engine", scale=-1.0)
    np.testing.assert_array_equal(CachedEmbedder(alone_q, tmp_path).embed_queries(QUESTIONS), q)
    assert alone_q.queries_embedded == 0


def test_engines_of_one_model_never_read_each_others_vectors(tmp_path: Path) -> None:
    first = CachedEmbedder(_Engine("one"), tmp_path)
    first.embed_passages(PASSAGES)
    first.save()
    other = _Engine("two", scale=2.0)
    vectors = CachedEmbedder(other, tmp_path).embed_passages(PASSAGES)
    assert other.passages_embedded == len(PASSAGES)
    np.testing.assert_allclose(vectors, 2.0 * first.embed_passages(PASSAGES))
