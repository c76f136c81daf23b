"""Highlights mark the sentence that answers, not the passage (fake embedder, real indexes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.document import Document
from index.collection import Collection
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder

TWO = "The workshop was held in Nairobi. The budget of the workshop was never published."
THREE = (
    "The meeting was held in Djibouti last spring. Nine organizations attended the meeting in "
    "Djibouti. The discussions of the delegates focused on mediation."
)
FOUR = (
    "Delegates arrived early in the morning by bus. Lunch was served at noon in the garden. "
    "The venue was a large hotel by the sea. "
    "Ceasefire mediation was the main theme of the ceasefire session."
)
ONE = "A single sentence about ceasefire mediation in the region."


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    c = open_collection(tmp_path / "data", FakeEmbedder())
    c.ingest(
        [
            Document(doc_id=name, title=name, text=text, lang="en")
            for name, text in (("two", TWO), ("three", THREE), ("four", FOUR), ("one", ONE))
        ]
    )
    return c


def marked(collection: Collection, question: str, doc_id: str) -> tuple[list[str], int]:
    answer = collection.ask(question, top_k=4)
    hit = next(h for h in answer.hits if h.stored.chunk.doc_id == doc_id)
    _, text = collection.document(doc_id)
    return [text[s:e] for s, e in hit.highlights], len(hit.stored.chunk.sentences)


def test_a_two_sentence_passage_gets_one_sentence(collection: Collection) -> None:
    spans, sentences = marked(collection, "Where was the workshop held? Nairobi?", "two")
    assert sentences == 2
    assert spans == ["The workshop was held in Nairobi."]


def test_never_the_whole_passage(collection: Collection) -> None:
    # Every sentence of THREE shares words with this question: still not all are marked.
    spans, sentences = marked(collection, "meeting held Djibouti organizations attended discussions", "three")
    assert sentences == 3 and 1 <= len(spans) <= 2
    spans, sentences = marked(collection, "Which theme did the ceasefire session have?", "four")
    assert sentences == 4
    assert spans == ["Ceasefire mediation was the main theme of the ceasefire session."]


def test_a_one_sentence_passage_is_its_own_highlight(collection: Collection) -> None:
    spans, sentences = marked(collection, "ceasefire mediation in the region", "one")
    assert sentences == 1 and spans == [ONE]
