"""Retrieval quality floors on the bundled corpus with the real default model.

The questions are ``corpus/questions.jsonl`` (what ``marja eval corpus/questions.jsonl`` runs):
24 English and 24 Arabic questions, each naming what a correct top passage must contain, a year
(the event it is about) or a phrase. Either language may answer: the Arabic source and the
English summaries are both correct citations. The floor is recall@1 ≥ 0.9 per question language.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from index.collection import Collection
from index.evaluation.questions import read_question_set
from index.evaluation.run import evaluate

pytestmark = pytest.mark.model

QUESTIONS = Path(__file__).resolve().parent.parent / "corpus" / "questions.jsonl"


def test_the_bundled_question_set_has_both_languages() -> None:
    questions = [q for q in read_question_set(QUESTIONS) if q.answerable]
    assert sorted({q.lang for q in questions}) == ["ar", "en"]
    assert sum(q.lang == "en" for q in questions) == sum(q.lang == "ar" for q in questions) == 24


def test_recall_at_1_floor(default_collection: Collection) -> None:
    run = evaluate(default_collection, read_question_set(QUESTIONS), top_k=10)
    misses = [
        f"{r.question.lang} {r.question.question!r} (a hit {r.question.rule.describe()}) → rank {r.rank}; "
        f"first {r.first.stored.chunk.doc_id} {r.first.stored.chunk.years}: {r.first.stored.chunk.text[:80]!r}"
        for r in run.results
        if r.question.answerable and r.rank != 1 and r.first is not None
    ]
    for lang in ("en", "ar"):
        recall = run.summary.by_lang[lang].recall[1]
        assert recall >= 0.9, f"{lang} recall@1 {recall:.2f}; misses:\n" + "\n".join(misses)


@pytest.mark.parametrize(
    "question",
    [
        "Which organizations attended the meeting in 2017?",
        "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
        "ما المنظمات التي شاركت في اجتماع 2017؟",
        "Which organizations attended the meeting in ٢٠١٧?",
    ],
)
def test_headline_question_returns_the_djibouti_passage_first(
    default_collection: Collection, question: str
) -> None:
    top = default_collection.ask(question, top_k=1).hits[0]
    assert 2017 in top.stored.chunk.years
    assert "جيبوتي" in top.stored.chunk.text or "Djibouti" in top.stored.chunk.text + top.stored.chunk.context
    assert top.highlights


@pytest.mark.parametrize(
    "question",
    ["Which organizations attended the meeting in 2017?", "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"],
)
def test_highlight_marks_the_sentence_with_the_list(default_collection: Collection, question: str) -> None:
    top = default_collection.ask(question, top_k=1).hits[0]
    _, text = default_collection.document(top.stored.chunk.doc_id)
    marked = [text[s:e] for s, e in top.highlights]
    assert any("ASEAN" in m for m in marked)  # the sentence that lists the organizations
    assert len(marked) <= 2


def test_follow_up_question_uses_the_previous_one(default_collection: Collection) -> None:
    answer = default_collection.ask("and in 2019?", previous_question="Where was the meeting held in 2017?")
    assert 2019 in answer.hits[0].stored.chunk.years
    answer = default_collection.ask("وفي ٢٠١٨؟", previous_question="أين عقد الاجتماع في ٢٠١٧؟")
    assert 2018 in answer.hits[0].stored.chunk.years
