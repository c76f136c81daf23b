"""An ordinal a question names ("the eighth meeting", "the 8th meeting") is evidence (fake
embedder, real indexes and catalog; across languages with the real model: tests/test_quality.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from core.document import Document
from index.collection import Collection
from index.local_version import CATALOG
from index.records import Filters
from index.search import search
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder

SUMMARIES = [
    Document(
        doc_id=f"meeting-{n}",
        title=f"{place}: the {word} meeting of regional organizations",
        text=f"The {word} meeting of regional organizations was held in {place}.",
        lang="en",
    )
    for n, word, place in ((5, "fifth", "Djibouti"), (6, "sixth", "Brussels"), (7, "seventh", "New York"))
]
DOHA = Document(
    doc_id="doha",
    title="Doha: the eighth meeting of regional organizations",
    text="The eighth meeting of regional organizations was held in Doha.",
    lang="en",
)


@pytest.fixture
def meetings(tmp_path: Path) -> Collection:
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    collection.ingest([*SUMMARIES, DOHA])
    return collection


QUESTION = "Which regional organizations attended the 8th meeting?"  # the passage says "eighth"


def test_the_passage_about_the_eighth_meeting_comes_first(meetings: Collection) -> None:
    answer = meetings.ask(QUESTION, top_k=4)
    assert answer.hits[0].stored.chunk.doc_id == "doha"
    # The same question without its ordinal's evidence: another meeting's passage comes first.
    query = replace(meetings.prepare(QUESTION), ordinals=())
    hits = search(meetings.snapshot(), query, top_k=4, filters=Filters(), weights=meetings.weights)
    assert hits[0].stored.chunk.doc_id != "doha"
    assert answer.hits[0].stored.chunk.ordinals == (8,) and not answer.hits[0].mismatch
    assert all(h.mismatch for h in answer.hits[1:])  # each numbers another meeting


def test_an_ordinal_nothing_mentions_contradicts_every_passage(meetings: Collection) -> None:
    answer = meetings.ask("Who opened the ninth meeting of regional organizations?", top_k=4)
    assert all(h.mismatch for h in answer.hits) and not answer.answered


@pytest.mark.local_files
def test_a_catalog_from_before_ordinals_loads_and_gains_them(meetings: Collection) -> None:
    snapshot = meetings.snapshot()
    assert snapshot.files is not None
    db = sqlite3.connect(snapshot.files.path / CATALOG)  # make it look like a catalog written before ordinals
    db.execute("ALTER TABLE chunks DROP COLUMN ordinals")
    db.execute("DROP TABLE chunk_ordinals")
    db.execute("DROP INDEX documents_year")
    db.execute("ALTER TABLE documents DROP COLUMN year")
    db.commit()
    db.close()
    old = Collection(meetings.data_dir, FakeEmbedder())
    answer = old.ask(QUESTION, top_k=4)
    assert answer.hits and not any(h.mismatch for h in answer.hits)  # no ordinal evidence yet
    assert {h.stored.chunk.doc_id: h.stored.chunk.ordinals for h in answer.hits}["doha"] == ()
    old.ingest([Document(doc_id="note", title="Note", text="A note on mediation.", lang="en")])
    answer = old.ask(QUESTION, top_k=4)
    assert answer.hits[0].stored.chunk.doc_id == "doha"
