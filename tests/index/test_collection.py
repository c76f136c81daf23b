from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.document import Document
from core.errors import DocumentExists, DocumentNotFound, IndexWriteFailed, InvalidQuery, ModelMismatch
from index import search
from index.backends.base import Scope
from index.collection import Collection
from index.records import Filters
from tests.conftest import fail_index_writes, open_collection, unpublished
from tests.fakes import FakeEmbedder
from text.analyzer import analyze


def make(doc_id: str, text: str, lang: str = "en", **kw: object) -> Document:
    return Document(doc_id=doc_id, title=kw.pop("title", doc_id), text=text, lang=lang, **kw)  # type: ignore[arg-type]


def test_ingest_publishes_a_version_with_a_manifest(corpus_collection: Collection) -> None:
    store = corpus_collection.store
    version = store.current()
    assert version is not None
    manifest = dataclasses.asdict(store.load(version, model_id="fake-hash-64", dim=64).manifest)
    assert manifest["model_id"] == "fake-hash-64" and manifest["dim"] == 64
    assert manifest["normaliser"] and manifest["analyzer"]
    docs = {d["doc_id"]: d for d in manifest["documents"]}
    assert "un-regional-organizations" in docs
    assert all(len(d["content_hash"]) == 64 and d["chunks"] > 0 for d in docs.values())
    assert manifest["chunks"] == sum(d["chunks"] for d in docs.values())


def test_same_ingest_twice_changes_nothing(
    corpus_collection: Collection, corpus_documents: list[Document], fake_embedder: FakeEmbedder
) -> None:
    version = corpus_collection.store.current()
    embedded = fake_embedder.passages_embedded
    report = corpus_collection.ingest(corpus_documents)
    assert not report.changed and report.chunks_embedded == 0
    assert corpus_collection.store.current() == version
    assert fake_embedder.passages_embedded == embedded


def test_changed_document_reembeds_only_changed_chunks(
    collection: Collection, fake_embedder: FakeEmbedder
) -> None:
    text = "- First event in 2017 in Djibouti.\n- Second event in 2019 in Brussels.\n- Third event in 2021 online."
    collection.ingest([make("events", text)])
    before = fake_embedder.passages_embedded
    report = collection.ingest([make("events", text.replace("Brussels", "Nairobi"))])
    assert report.replaced == ["events"]
    assert (report.chunks_embedded, report.chunks_reused) == (1, 2)
    assert fake_embedder.passages_embedded - before == 1
    hits = collection.ask("event in Nairobi", top_k=1).hits
    assert "Nairobi" in hits[0].stored.chunk.text


def test_removed_document_is_gone_from_both_indexes(corpus_collection: Collection) -> None:
    question = "fifth biennial meeting Djibouti"
    assert corpus_collection.ask(question, top_k=1).hits[0].stored.chunk.doc_id == (
        "summary-2017-fifth-biennial-meeting-djibouti"
    )
    corpus_collection.remove("summary-2017-fifth-biennial-meeting-djibouti")
    snapshot = corpus_collection.snapshot()
    ids = set(snapshot.dense.all_ids().tolist())
    assert len(ids) == snapshot.manifest.chunks == len(snapshot.lexical)
    proposed = snapshot.lexical.search(analyze(question), 50, scope=Scope()).ids
    assert proposed.size and set(proposed.tolist()) <= ids
    assert all(
        s.chunk.doc_id != "summary-2017-fifth-biennial-meeting-djibouti"
        for s in snapshot.catalog.chunks(ids).values()
    )
    hits = corpus_collection.ask(question, top_k=20).hits
    assert all(h.stored.chunk.doc_id != "summary-2017-fifth-biennial-meeting-djibouti" for h in hits)
    with pytest.raises(DocumentNotFound):
        corpus_collection.remove("summary-2017-fifth-biennial-meeting-djibouti")


def test_every_citation_round_trips(corpus_collection: Collection) -> None:
    for question in (
        "Which organizations attended in 2017?",
        "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
    ):
        for hit in corpus_collection.ask(question, top_k=10).hits:
            _, text = corpus_collection.document(hit.stored.chunk.doc_id)
            assert text[hit.stored.chunk.start : hit.stored.chunk.end] == hit.stored.chunk.text
            for s, e in hit.highlights:
                assert hit.stored.chunk.start <= s < e <= hit.stored.chunk.end


def test_filters(corpus_collection: Collection) -> None:
    q = "meeting of regional organizations"
    assert {
        h.stored.chunk.lang for h in corpus_collection.ask(q, top_k=50, filters=Filters(lang="ar")).hits
    } == {"ar"}
    assert {
        h.stored.kind for h in corpus_collection.ask(q, top_k=50, filters=Filters(kind="summary")).hits
    } == {"summary"}
    year_hits = corpus_collection.ask(q, top_k=50, filters=Filters(year=2018)).hits
    assert year_hits and all(2018 in h.stored.chunk.years for h in year_hits)
    doc_hits = corpus_collection.ask(q, top_k=50, filters=Filters(doc_id="summary-overview")).hits
    assert {h.stored.chunk.doc_id for h in doc_hits} == {"summary-overview"}
    assert corpus_collection.ask(q, filters=Filters(year=1999)).hits == []


def test_year_in_either_digit_system_prefers_that_year(corpus_collection: Collection) -> None:
    for question in ("meeting in ٢٠١٩", "meeting in 2019", "اجتماع عام ٢٠١٨", "اجتماع عام 2018"):
        top = corpus_collection.ask(question, top_k=1).hits[0].stored.chunk
        assert set(top.years) & {2018, 2019}, question


def test_another_process_sees_a_new_version(
    corpus_collection: Collection, fake_embedder: FakeEmbedder
) -> None:
    reader = open_collection(corpus_collection.data_dir, fake_embedder)  # e.g. the running server
    assert reader.ask("Zanzibar workshop").hits[0].stored.chunk.doc_id != "zanzibar"
    writer = open_collection(corpus_collection.data_dir, fake_embedder)  # e.g. `marja ingest`
    writer.ingest([make("zanzibar", "A workshop on mediation was held in Zanzibar.")])
    assert reader.ask("Zanzibar workshop").hits[0].stored.chunk.doc_id == "zanzibar"


def test_failed_build_keeps_the_previous_version(
    corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = corpus_collection.store.current()
    fail_index_writes(monkeypatch, OSError(28, "disk full"))
    with pytest.raises(IndexWriteFailed, match="disk full"):
        corpus_collection.ingest([make("new", "Some new text about mediation.")])
    assert corpus_collection.store.current() == version
    assert not unpublished(corpus_collection)
    assert corpus_collection.ask("mediation").hits


@pytest.mark.local_files
def test_stale_temporary_directory_is_removed(corpus_collection: Collection) -> None:
    stale = corpus_collection.store.versions / ".tmp-left-by-a-crash"
    stale.mkdir()
    (stale / "dense.faiss").write_bytes(b"partial")
    corpus_collection.ingest([make("new", "Some new text.")])
    assert not stale.exists()


def test_index_from_another_model_refuses_to_load(corpus_collection: Collection) -> None:
    class OtherModel(FakeEmbedder):
        model_id = "other-model"

    chunks = corpus_collection.snapshot().manifest.chunks
    other = open_collection(corpus_collection.data_dir, OtherModel())
    with pytest.raises(ModelMismatch, match=r"re-index|reindex"):
        other.snapshot()
    report = other.reindex()
    assert report.chunks_total == chunks
    assert other.ask("Djibouti").hits
    with pytest.raises(ModelMismatch):  # and now the first model's collection refuses
        corpus_collection.ask("Djibouti")


@pytest.mark.parametrize(("keep", "kept"), [(1, ["v000006"]), (2, ["v000005", "v000006"]), (5, None)])
def test_old_versions_are_pruned(
    tmp_path: Path, fake_embedder: FakeEmbedder, keep: int, kept: list[str] | None
) -> None:
    collection = open_collection(tmp_path / "data", fake_embedder, keep_versions=keep)
    for i in range(6):
        collection.ingest([make(f"d{i}", f"text number {i}")])
    assert collection.store.published() == (kept or [f"v00000{n}" for n in range(2, 7)])
    assert len(collection.documents()) == 6


def test_empty_collection_answers_nothing(collection: Collection) -> None:
    assert collection.ask("anything").hits == []
    assert collection.documents() == []


@pytest.mark.local_files
def test_data_dir_is_created_with_the_index(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    data = tmp_path / "nested" / "data"
    open_collection(data, fake_embedder).ingest([make("a", "alpha text")])
    assert (data / "index" / "CURRENT").exists()
    assert os.listdir(data / "index" / "versions") == ["v000001"]


@pytest.mark.parametrize("filters", [Filters(), Filters(lang="en"), Filters(year=2018)])
def test_dense_search_on_a_helper_thread_gives_the_same_answer(
    corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch, filters: Filters
) -> None:
    questions = (
        "Which organizations attended the meeting in 2017?",
        "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
    )

    def answers() -> list[list[tuple[int, float]]]:
        return [
            [
                (h.chunk_id, round(h.score, 6))
                for h in corpus_collection.ask(q, top_k=10, filters=filters).hits
            ]
            for q in questions
        ]

    monkeypatch.setattr(search, "PARALLEL_FROM", 10**9)
    sequential = answers()
    monkeypatch.setattr(search, "PARALLEL_FROM", 0)
    assert answers() == sequential and all(sequential)


def test_add_refuses_an_existing_id_unless_replacing(corpus_collection: Collection) -> None:
    doc = Document(doc_id="note", title="Note", text="A note about the 2025 meeting in Amman.", lang="en")
    assert corpus_collection.add(doc).added == ["note"]
    version = corpus_collection.snapshot().version
    changed = Document(doc_id="note", title="Note", text="A corrected note about Amman.", lang="en")
    with pytest.raises(DocumentExists):
        corpus_collection.add(changed)
    assert corpus_collection.snapshot().version == version  # nothing was written
    report = corpus_collection.add(changed, replace=True)
    assert report.replaced == ["note"] and report.chunks_per_document["note"] == 1
    again = corpus_collection.add(changed, replace=True)
    assert again.unchanged == ["note"] and again.chunks_per_document["note"] == 1


def test_concurrent_adds_of_one_id_let_exactly_one_win(collection: Collection) -> None:
    """The existence check and the write happen under one lock: no check-then-write race."""
    docs = [
        Document(doc_id="same", title=f"Try {i}", text=f"Attempt number {i} at the same id.", lang="en")
        for i in range(4)
    ]
    outcomes: list[str] = []

    def add(doc: Document) -> None:
        try:
            collection.add(doc)
            outcomes.append("added")
        except DocumentExists:
            outcomes.append("exists")

    threads = [threading.Thread(target=add, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["added", "exists", "exists", "exists"]
    assert [d.doc_id for d in collection.documents()] == ["same"]


def test_answered_when_any_passage_answers(tmp_path: Path) -> None:
    """A calibration that trusts passages in another language more than those in the question's
    (as the real one does at low scores): the best-scoring passage does not answer, a later one
    does. The answer is answered; the passages keep their ranking."""
    from index.confidence import Calibration, ConfidenceModel

    pair = (Calibration(1.0, -10.0), Calibration(1.0, 10.0))  # (question's language, another)
    trusting_other = ConfidenceModel(one_language=pair, mixed=pair)
    collection = Collection(
        tmp_path / "data", FakeEmbedder(), calibration=trusting_other, answer_threshold=0.5
    )
    collection.ingest(
        [
            make("en-1", "The United Nations gives mediation support to regional organizations in Africa."),
            make(
                "en-2",
                "The meeting was about mediation support and how regional organizations work together.",
            ),
            make("ar-1", "دعم الوساطة للمنظمات الإقليمية في أفريقيا.", lang="ar"),
            make("ar-2", "التعاون الإقليمي في مجال الوساطة.", lang="ar"),
        ]
    )
    answer = collection.ask("Which regional organizations get mediation support?", top_k=4)
    assert answer.lang == "en"
    assert answer.answered and answer.reason is None
    assert [h.stored.chunk.lang for h in answer.hits] == ["en", "en", "ar", "ar"]
    assert [h.answers for h in answer.hits] == [False, False, True, True]
    assert [h.score for h in answer.hits] == sorted((h.score for h in answer.hits), reverse=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"question": "x" * 2001}, "over the limit of 2,000 characters"),
        ({"question": "ok?", "previous_question": "y" * 2001}, "previous question is over the limit"),
        ({"question": " \u200b\u200b "}, "empty"),
        ({"question": "ok?", "top_k": 0}, "top_k must be between 1 and 50"),
        ({"question": "ok?", "top_k": 51}, "top_k must be between 1 and 50"),
        ({"question": "ok?", "filters": Filters(lang="English")}, "not a language code"),
    ],
)
def test_ask_holds_the_bounds_of_the_api(corpus_collection: Collection, kwargs: dict, message: str) -> None:
    """The library and the CLI get the bounds of core.limits, as the HTTP API does."""
    with pytest.raises(InvalidQuery, match=message):
        corpus_collection.ask(**kwargs)
    assert corpus_collection.ask("x" * 2000, top_k=50).hits  # the bounds themselves are allowed


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("qwertyuiop asdfghjkl zxcvbnm", True),
        ("a a a a a a", True),  # no word at all once stop words go
        ("ضصثقفغعهخحج", True),
        ("Which organizations met in Djibouti?", False),
        ("qwertyuiop before 2020", False),  # names a time: that is its subject
        ("qwertyuiop the eighth meeting", False),  # names an ordinal
    ],
)
def test_a_question_sharing_no_word_with_the_collection(
    corpus_collection: Collection, question: str, unknown: bool
) -> None:
    candidates = search.gather(
        corpus_collection.snapshot(), corpus_collection.prepare(question), filters=Filters()
    )
    assert candidates is not None and candidates.unknown_words is unknown
    confidence = corpus_collection.calibration.confidence(
        candidates, scores=candidates.dense, mismatch=np.zeros(len(candidates.ids), dtype=bool)
    )
    known = replace(candidates, unknown_words=False)
    plain = corpus_collection.calibration.confidence(
        known, scores=known.dense, mismatch=np.zeros(len(known.ids), dtype=bool)
    )
    assert bool((confidence < plain).all()) is unknown
