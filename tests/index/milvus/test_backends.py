"""The Milvus backends give what the local ones give, piece by piece and answer by answer.

The corpus is indexed on the local disk, copied into Milvus (``marja migrate``), and both are
asked the same things. Fusion is marja's on both sides, so answers must be the same: the same
passages in the same order, the same citations and highlights.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core.document import Document
from index.backends.base import Scope
from index.backends.factory import BackendConfig
from index.collection import Collection
from index.evaluation.questions import read_question_set
from index.local_version import CATALOG
from index.records import Filters
from index.snapshot import Snapshot
from index.store import IndexStore
from tests.conftest import CORPUS
from tests.fakes import FakeEmbedder
from tests.index.test_ordinal_ranking import DOHA, SUMMARIES
from tests.index.test_ordinal_ranking import QUESTION as ORDINAL_QUESTION
from text.analyzer import query_terms

QUESTIONS = [q for q in read_question_set(CORPUS / "questions.jsonl")]
SCOPES = [
    Scope(),
    Scope(lang="ar"),
    Scope(lang="en"),
    Scope(Filters(year=2017)),
    Scope(Filters(kind="summary"), lang="en"),
    Scope(Filters(doc_id="un-regional-organizations")),
    Scope(Filters(kind='nothing" or kind != "x')),
]


@pytest.fixture
def pair(
    tmp_path: Path, corpus_documents: list[Document], milvus: BackendConfig
) -> tuple[Collection, Collection]:
    """The corpus on the local disk, and the same version copied into Milvus."""
    local = Collection(tmp_path / "local", FakeEmbedder())
    local.ingest(corpus_documents)
    remote = Collection(tmp_path / "remote", FakeEmbedder(), backend=milvus)
    remote.migrate_from(IndexStore(tmp_path / "local" / "index"))
    return local, remote


def _snapshots(pair: tuple[Collection, Collection]) -> tuple[Snapshot, Snapshot]:
    return pair[0].snapshot(), pair[1].snapshot()


def test_the_copy_holds_the_same_version(pair: tuple[Collection, Collection]) -> None:
    local, remote = _snapshots(pair)
    assert remote.manifest.chunks == local.manifest.chunks >= 20
    assert remote.manifest.documents == local.manifest.documents
    assert remote.manifest.sentence_vectors == local.manifest.sentence_vectors
    assert (remote.manifest.next_chunk_id, remote.manifest.dense_kind) == (
        local.manifest.next_chunk_id,
        "flat",
    )
    np.testing.assert_array_equal(remote.means.sums, local.means.sums)
    assert remote.means.multilingual and remote.means.langs == local.means.langs


def test_dense_search_is_the_same(pair: tuple[Collection, Collection]) -> None:
    local, remote = _snapshots(pair)
    ids = local.dense.all_ids()
    np.testing.assert_array_equal(remote.dense.all_ids(), ids)
    np.testing.assert_array_equal(remote.dense.vectors(ids[::-3]), local.dense.vectors(ids[::-3]))
    for question in QUESTIONS[:12]:
        vector = pair[0].query_vector(question.question)
        for scope in SCOPES:
            want, got = (
                local.dense.search(vector, 20, scope=scope),
                remote.dense.search(vector, 20, scope=scope),
            )
            assert got.ids.tolist() == want.ids.tolist(), (question.question, scope)
            np.testing.assert_allclose(got.scores, want.scores, atol=1e-5)


def test_bm25_is_the_same_in_the_same_units(pair: tuple[Collection, Collection]) -> None:
    local, remote = _snapshots(pair)
    ids = local.dense.all_ids()
    np.testing.assert_array_equal(remote.lexical.langs_of(ids), local.lexical.langs_of(ids))
    compared = 0
    known = 0
    for question in QUESTIONS:
        terms = query_terms(question.question)
        assert remote.lexical.knows_any(terms) == local.lexical.knows_any(terms), question.question
        known += local.lexical.knows_any(terms)
        for unseen in (False, True):
            assert remote.lexical.max_score(terms, unseen=unseen) == pytest.approx(
                local.lexical.max_score(terms, unseen=unseen), rel=1e-9
            )
        for scope in SCOPES[:3]:
            want = local.lexical.search(terms, 100, scope=scope)
            got = remote.lexical.search(terms, 100, scope=scope)
            assert set(got.ids.tolist()) == set(want.ids.tolist()), (question.question, scope)
            np.testing.assert_allclose(
                got.score_of(ids), want.score_of(ids), rtol=2e-5, atol=1e-6, err_msg=question.question
            )
            compared += len(want.ids)
    assert compared > 200
    assert 0 < known < len(QUESTIONS)  # the gibberish questions know no term


def test_sentence_vectors_are_the_same(pair: tuple[Collection, Collection]) -> None:
    local, remote = _snapshots(pair)
    ids = local.dense.all_ids()
    mine, theirs = local.sentences.subset(ids), remote.sentences.subset(ids)
    for chunk_id in ids.tolist():
        a, b = mine.of(chunk_id), theirs.of(chunk_id)
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            np.testing.assert_array_equal(a, b)


def test_the_catalog_is_the_same(pair: tuple[Collection, Collection]) -> None:
    local, remote = _snapshots(pair)
    assert local.catalog is not None and remote.catalog is not None
    assert remote.catalog.documents() == local.catalog.documents()
    assert remote.catalog.document_hashes() == local.catalog.document_hashes()
    assert remote.catalog.document_origins() == local.catalog.document_origins()
    assert remote.catalog.load_documents() == local.catalog.load_documents()
    ids = local.dense.all_ids().tolist()
    assert remote.catalog.chunks(ids) == local.catalog.chunks(ids)
    assert remote.catalog.facts_of(ids) == local.catalog.facts_of(ids)
    assert any(f.ordinals for f in local.catalog.facts_of(ids).values())
    assert any(f.document_year for f in local.catalog.facts_of(ids).values())
    for info in local.catalog.documents():
        assert remote.catalog.document(info.doc_id) == local.catalog.document(info.doc_id)
        assert remote.catalog.chunk_hashes(info.doc_id) == local.catalog.chunk_hashes(info.doc_id)
        assert remote.catalog.chunk_ids(info.doc_id) == local.catalog.chunk_ids(info.doc_id)
    for years in ([2017], [2019, 2031], [1999], [2030, 2031]):
        assert remote.catalog.mentions_year(years) == local.catalog.mentions_year(years), years
    assert remote.catalog.knows_ordinals and local.catalog.knows_ordinals
    for ordinals in ([6], [7, 150], [150], [2, 3]):
        assert remote.catalog.mentions_ordinal(ordinals) == local.catalog.mentions_ordinal(ordinals), ordinals
    assert remote.catalog.document("nope") is None


def _answers(collection: Collection, filters: Filters) -> list[tuple[object, ...]]:
    out = []
    for question in QUESTIONS:
        answer = collection.ask(question.question, top_k=5, filters=filters)
        out.append(
            (
                answer.answered,
                [
                    (
                        h.chunk_id,
                        h.stored.chunk.doc_id,
                        h.stored.chunk.start,
                        h.stored.chunk.end,
                        h.highlights,
                    )
                    for h in answer.hits
                ],
                [round(h.confidence, 4) for h in answer.hits],
            )
        )
    return out


@pytest.mark.parametrize("filters", [Filters(), Filters(lang="en"), Filters(year=2018)])
def test_every_bundled_question_gets_the_same_answer(
    pair: tuple[Collection, Collection], filters: Filters
) -> None:
    local, remote = pair
    assert _answers(remote, filters) == _answers(local, filters)


def test_a_local_catalog_from_before_ordinals_is_copied_with_them(
    tmp_path: Path, milvus: BackendConfig
) -> None:
    local = Collection(tmp_path / "local", FakeEmbedder())
    local.ingest([*SUMMARIES, DOHA])
    files = local.snapshot().files
    assert files is not None
    db = sqlite3.connect(files.path / CATALOG)  # as written before ordinals were recorded
    db.execute("ALTER TABLE chunks DROP COLUMN ordinals")
    db.execute("DROP TABLE chunk_ordinals")
    db.commit()
    db.close()
    remote = Collection(tmp_path / "remote", FakeEmbedder(), backend=milvus)
    remote.migrate_from(IndexStore(tmp_path / "local" / "index"))
    catalog = remote.snapshot().catalog
    assert catalog is not None and catalog.knows_ordinals
    ordinals = {
        s.chunk.doc_id: s.chunk.ordinals for s in catalog.chunks(remote.snapshot().dense.all_ids()).values()
    }
    assert ordinals == {"meeting-5": (5,), "meeting-6": (6,), "meeting-7": (7,), "doha": (8,)}
    assert remote.ask(ORDINAL_QUESTION, top_k=4).hits[0].stored.chunk.doc_id == "doha"
