"""Version-pinned citations over HTTP: 200 while the version is kept, 410 once it is pruned."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import build_collection
from service.settings import Settings
from tests.conftest import API_KEY, make_client, open_collection
from tests.fakes import FakeEmbedder

AUTH = {"Authorization": f"Bearer {API_KEY}"}
QUESTION = "Where was the 2017 meeting held?"
ORIGINAL = "- In 2017 the fifth meeting was held in Djibouti.\n- IGAD hosted it."


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    collection = open_collection(tmp_path / "data", FakeEmbedder(), keep_versions=2)
    with make_client(collection, api_keys=[API_KEY]) as c:
        yield c


def put(client: TestClient, text: str, doc_id: str = "note") -> None:
    r = client.put(f"/documents/{doc_id}", json={"title": "Note", "text": text, "lang": "en"}, headers=AUTH)
    assert r.status_code in (200, 201), r.text


def test_answers_and_citations_name_their_version(client: TestClient) -> None:
    put(client, ORIGINAL)
    body = client.post("/ask", json={"question": QUESTION, "top_k": 2}).json()
    assert body["version"] == "v000001"
    assert body["passages"] and all(p["citation"]["version"] == "v000001" for p in body["passages"])


def test_a_pinned_citation_reads_its_version_until_pruned(client: TestClient) -> None:
    put(client, ORIGINAL)
    passage = client.post("/ask", json={"question": QUESTION, "top_k": 1}).json()["passages"][0]
    c = passage["citation"]
    put(client, "- Corrected: the fifth meeting, in 2017, took place in Djibouti city.")

    pinned = client.get(f"/documents/note?version={c['version']}")
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["version"] == "v000001"
    assert pinned.json()["text"][c["start"] : c["end"]] == passage["text"]
    current = client.get("/documents/note").json()
    assert current["version"] == "v000002" and current["text"] != pinned.json()["text"]

    put(client, "a third text")  # v000003: with 2 kept, v000001 is pruned
    gone = client.get(f"/documents/note?version={c['version']}")
    assert gone.status_code == 410
    assert "no longer kept" in gone.json()["detail"] and "MARJA_KEEP_VERSIONS" in gone.json()["detail"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/documents/note?version=v999999", 404),
        ("/documents/never?version=v000001", 404),
        ("/documents/never", 404),
        ("/documents/note?version=..%2F..%2Fetc", 422),
        ("/documents/note?version=v000001%2F..%2F..", 422),
        ("/documents/note?version=latest", 422),
        ("/documents/note?version=v" + "0" * 40, 422),
        ("/documents/note?version=", 422),
    ],
)
def test_unknown_or_malformed_versions(client: TestClient, url: str, status: int) -> None:
    put(client, ORIGINAL)
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_documents_posted_over_http_record_their_origin(client: TestClient) -> None:
    put(client, ORIGINAL)
    listed = client.get("/documents").json()["documents"]
    assert [d["origin"] for d in listed] == ["api"]


def test_keep_versions_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARJA_KEEP_VERSIONS", "7")
    settings = Settings(data_dir=tmp_path / "data")
    assert build_collection(settings).store.keep_versions == 7
    monkeypatch.setenv("MARJA_KEEP_VERSIONS", "0")
    with pytest.raises(ValueError, match="keep_versions"):
        Settings()
