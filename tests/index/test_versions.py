"""Reading a document as it was in a kept index version (what a citation points into)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.document import Document
from core.errors import DocumentNotFound, InvalidVersion, VersionGone, VersionNotFound
from index.store import check_version_name
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder


def note(text: str, doc_id: str = "note") -> Document:
    return Document(doc_id=doc_id, title="Note", text=text, lang="en")


def test_a_citation_can_be_checked_after_its_document_changed(tmp_path: Path) -> None:
    collection = open_collection(tmp_path / "data", FakeEmbedder(), keep_versions=3)
    collection.ingest([note("- In 2017 the meeting was held in Djibouti.\n- IGAD hosted it.")])
    answer = collection.ask("Where was the 2017 meeting held?", top_k=1)
    cited = answer.hits[0].stored.chunk
    assert answer.version == "v000001"

    collection.add(note("- Corrected: in 2017 the meeting took place in Djibouti city."), replace=True)
    _info, text, version = collection.document_at("note", answer.version)
    assert version == "v000001" and text[cited.start : cited.end] == cited.text
    assert collection.document_at("note")[2] == "v000002"
    assert collection.document_at("note")[1] != text

    collection.ingest([note("unrelated", doc_id="other")])
    assert collection.document_at("note", "v000001")[1] == text  # still one of the 3 kept
    collection.ingest([note("unrelated again", doc_id="other")])
    with pytest.raises(VersionGone, match=r"no longer kept.*3 versions"):
        collection.document_at("note", "v000001")


def test_unknown_versions_and_documents(tmp_path: Path) -> None:
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    with pytest.raises(VersionNotFound):
        collection.document_at("note", "v000001")  # nothing published yet
    collection.ingest([note("first")])
    collection.ingest([note("second", doc_id="later")])
    with pytest.raises(VersionNotFound):
        collection.document_at("note", "v000003")
    with pytest.raises(VersionNotFound):
        collection.document_at("note", "v000000")
    with pytest.raises(DocumentNotFound, match="'later' in index version v000001"):
        collection.document_at("later", "v000001")


@pytest.mark.parametrize(
    "name",
    ["", "v1", "v00001", "V000001", "v000001/../../x", "../v000001", "v000001\n", "v٠٠٠٠٠١", "v" + "1" * 20],
)
def test_version_names_are_validated(name: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidVersion):
        check_version_name(name)
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    collection.ingest([note("text")])
    with pytest.raises(InvalidVersion):
        collection.document_at("note", name)


def test_keep_versions_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_collection(tmp_path / "data", FakeEmbedder(), keep_versions=0)
