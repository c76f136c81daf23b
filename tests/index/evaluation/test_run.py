"""Asking a question set of a real collection (fake embedder), and comparing two collections."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from core.document import Document
from core.errors import EmptyIndex, InvalidQuery
from index.collection import Collection
from index.evaluation.questions import parse_question_set
from index.evaluation.run import compare, evaluate
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder

DOCS = {
    "djibouti": "In 2017 the fifth biennial meeting was held in Djibouti, hosted by IGAD.",
    "nairobi": "In 2018 a workshop on mediation support took place in Nairobi.",
    "brussels": "In 2019 the sixth meeting in Brussels discussed climate, peace and security.",
}
QUESTIONS = [
    {"id": "dj", "question": "Which meeting was hosted by IGAD in Djibouti?", "doc_id": "djibouti"},
    {"id": "na", "question": "Where did the mediation support workshop take place?", "text": "Nairobi"},
    {"id": "br", "question": "What did the Brussels meeting discuss?", "year": 2019, "lang": "en"},
    {"id": "filtered", "question": "Djibouti", "doc_id": "djibouti", "filters": {"doc_id": "nairobi"}},
    {"id": "none", "question": "What is the recipe for hummus?", "answerable": False},
]


def collection_of(path: Path, doc_ids: list[str]) -> Collection:
    collection = open_collection(path, FakeEmbedder(), index=path.name)
    collection.ingest([Document(doc_id=d, title=d.title(), text=DOCS[d], lang="en") for d in doc_ids])
    return collection


def questions():  # type: ignore[no-untyped-def]
    return parse_question_set("\n".join(json.dumps(q) for q in QUESTIONS), suffix=".jsonl")


def test_evaluate_ranks_each_question_with_its_filters(tmp_path: Path) -> None:
    collection = collection_of(tmp_path / "a", ["djibouti", "nairobi", "brussels"])
    run = evaluate(collection, questions(), top_k=3)
    ranks = {r.question.id: r.rank for r in run.results}
    assert ranks == {"dj": 1, "na": 1, "br": 1, "filtered": None, "none": None}
    filtered = next(r for r in run.results if r.question.id == "filtered")
    assert filtered.first is not None and filtered.first.stored.chunk.doc_id == "nairobi"  # what came first
    assert run.version == "v000001" and run.documents == 3 and run.model_id == "fake-hash-64"
    assert run.summary.overall.questions == 4 and run.summary.overall.recall[1] == 0.75
    assert run.summary.unanswerable == 1
    assert all(r.lang == "en" for r in run.results) and all(r.seconds > 0 for r in run.results)
    # The ask result says whether marja answered: the rates come from it.
    answerable = [r for r in run.results if r.question.answerable]
    assert all(isinstance(r.answered, bool) for r in run.results)
    assert run.summary.answered_rate == sum(bool(r.answered) for r in answerable) / len(answerable)
    none = next(r for r in run.results if r.question.id == "none")
    assert run.summary.abstained_rate == (0.0 if none.answered else 1.0)


def test_compare_shows_what_each_question_gained_or_lost(tmp_path: Path) -> None:
    before = evaluate(collection_of(tmp_path / "a", ["djibouti", "nairobi"]), questions(), top_k=3)
    after = evaluate(collection_of(tmp_path / "b", ["djibouti", "brussels"]), questions(), top_k=3)
    changes = {c.question.id: (c.before, c.after, c.status) for c in compare(before, after)}
    assert changes == {
        "dj": (1, 1, "same"),
        "na": (1, None, "lost"),
        "br": (None, 1, "gained"),
        "filtered": (None, None, "same"),
    }


def test_better_and_worse(tmp_path: Path) -> None:
    run = evaluate(collection_of(tmp_path / "a", list(DOCS)), questions(), top_k=3)
    moved = [dataclasses.replace(r, rank=2) if r.question.id == "dj" else r for r in run.results]
    worse = dataclasses.replace(run, results=moved)
    statuses = {c.question.id: c.status for c in compare(run, worse)}
    assert statuses["dj"] == "worse"
    assert {c.question.id: c.status for c in compare(worse, run)}["dj"] == "better"


def test_empty_index_and_bad_top_k_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EmptyIndex, match="ingest documents first"):
        evaluate(open_collection(tmp_path / "empty", FakeEmbedder()), questions())
    with pytest.raises(InvalidQuery, match="top-k"):
        evaluate(collection_of(tmp_path / "a", ["djibouti"]), questions(), top_k=0)


@pytest.mark.parametrize(("threshold", "answered", "abstained"), [(0.0, 1.0, 0.0), (1.0, 0.0, 1.0)])
def test_rates_follow_what_the_answers_say(
    tmp_path: Path, threshold: float, answered: float, abstained: float
) -> None:
    collection = collection_of(tmp_path / "a", list(DOCS))
    collection.answer_threshold = threshold  # 0: every question answered; 1: none
    run = evaluate(collection, questions(), top_k=3)
    assert run.summary.answered_rate == answered and run.summary.abstained_rate == abstained
