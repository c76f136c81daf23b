"""Questions about time rank by the years passages are about (fake embedder, real indexes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.document import Document
from index.collection import Collection
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder
from text.years import document_year


def meeting(year: int, place: str, *, dated: bool = True, lang: str = "en") -> Document:
    text = f"In {year}, the meeting of regional organizations was held in {place}. Delegates discussed mediation."
    return Document(
        doc_id=f"meeting-{year}",
        title=f"Meeting of regional organizations, {place}",
        text=text,
        lang=lang,
        metadata={"event_year": year} if dated else {},
    )


@pytest.fixture
def meetings(tmp_path: Path) -> Collection:
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    collection.ingest(
        [
            meeting(2017, "Djibouti"),
            meeting(2019, "Brussels"),
            meeting(2021, "Geneva"),
            meeting(2023, "Nairobi", dated=False),  # only its text says when
            Document(
                doc_id="overview",
                title="Overview",
                text="Regular meetings of regional organizations on mediation began after a 2010 retreat.",
                lang="en",
            ),
        ]
    )
    return collection


def top(collection: Collection, question: str) -> str:
    return collection.ask(question, top_k=3).hits[0].stored.chunk.doc_id


def test_latest_and_first(meetings: Collection) -> None:
    assert (
        top(meetings, "Where was the most recent meeting of regional organizations held?") == "meeting-2023"
    )
    assert top(meetings, "Where was the latest meeting held?") == "meeting-2023"
    assert top(meetings, "Where was the first meeting of regional organizations held?") == "meeting-2017"


def test_ranges(meetings: Collection) -> None:
    assert top(meetings, "Where was the meeting of regional organizations held after 2021?") == "meeting-2023"
    answer = meetings.ask("meetings of regional organizations before 2019", top_k=5)
    docs = [h.stored.chunk.doc_id for h in answer.hits]
    assert docs.index("meeting-2017") < docs.index("meeting-2019")
    assert [h.mismatch for h in answer.hits if h.stored.chunk.doc_id == "meeting-2019"] == [True]
    answer = meetings.ask("meetings between 2018 and 2022", top_k=5)
    assert {h.stored.chunk.doc_id for h in answer.hits[:2]} == {"meeting-2019", "meeting-2021"}


def test_a_named_year_finds_its_document_and_contradicts_others(meetings: Collection) -> None:
    answer = meetings.ask("Where was the 2021 meeting held?", top_k=5)
    assert answer.hits[0].stored.chunk.doc_id == "meeting-2021"
    assert not answer.hits[0].mismatch
    others = [h for h in answer.hits if h.stored.chunk.doc_id in ("meeting-2017", "meeting-2019")]
    assert others and all(h.mismatch for h in others)
    # A year nothing in the collection mentions: no passage can be about it.
    answer = meetings.ask("Where was the 2015 meeting held?", top_k=5)
    assert all(h.mismatch for h in answer.hits)


def test_document_year_comes_from_metadata(meetings: Collection) -> None:
    catalog = meetings.snapshot().catalog
    assert catalog is not None
    facts = catalog.facts_of(meetings.snapshot().dense.all_ids().tolist())
    by_year = {t.document_year for t in facts.values()}
    assert by_year == {2017, 2019, 2021, None}
    assert (
        catalog.mentions_year([2010]) and catalog.mentions_year([2021]) and not catalog.mentions_year([2015])
    )


@pytest.mark.parametrize(
    ("event_year", "date", "year"),
    [
        (2017, None, 2017),
        ("2017", None, 2017),
        ("٢٠١٧", None, 2017),
        (None, "2019-05-03", 2019),
        (None, None, None),
        (True, None, None),
        ("soon", "3000-01-01", None),
    ],
)
def test_document_year(event_year: object, date: object, year: int | None) -> None:
    assert document_year({"event_year": event_year, "date": date}) == year
