from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from index.collection import Collection
from tests.conftest import API_KEY, make_client

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def test_ask_returns_cited_passages(client: TestClient) -> None:
    r = client.post(
        "/ask", json={"question": "Which organizations attended the meeting in 2017?", "top_k": 3}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "en" and body["question"].startswith("Which")
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3]
    assert body["took_ms"] >= 0
    top = body["passages"][0]
    assert set(top["citation"]) >= {"doc_id", "title", "start", "end", "source_url", "page"}
    assert top["highlights"]


def test_ask_says_whether_a_passage_answers(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Which organizations attended the meeting in 2017?"}).json()
    assert isinstance(body["answered"], bool)
    assert body["version"] and body["version"] == client.get("/health").json()["version"]
    assert (body["reason"] is None) == body["answered"]
    assert all(0.0 <= p["confidence"] <= 1.0 for p in body["passages"])


@pytest.mark.parametrize(("threshold", "answered"), [(0.0, True), (1.0, False)])
def test_no_answer_still_returns_the_nearest_passages(
    corpus_collection: Collection, threshold: float, answered: bool
) -> None:
    corpus_collection.answer_threshold = threshold
    with make_client(corpus_collection) as c:
        body = c.post("/ask", json={"question": "Where was the workshop in Nairobi?", "top_k": 2}).json()
    assert body["answered"] is answered
    assert body["reason"] == (None if answered else "no passage is close enough")
    assert len(body["passages"]) == 2 and body["passages"][0]["highlights"]
    assert [p["answers"] for p in body["passages"]] == [answered, answered]


def test_each_passage_says_whether_it_reaches_the_threshold(corpus_collection: Collection) -> None:
    """``answers`` is the passage's confidence against the threshold; ``answered`` the first one's."""
    with make_client(corpus_collection) as c:
        first = c.post("/ask", json={"question": "Where was the workshop in Nairobi?", "top_k": 5}).json()
        confidences = sorted({p["confidence"] for p in first["passages"]})
        assert len(confidences) >= 2
        corpus_collection.answer_threshold = (confidences[0] + confidences[-1]) / 2
        body = c.post("/ask", json={"question": "Where was the workshop in Nairobi?", "top_k": 5}).json()
    flags = [p["answers"] for p in body["passages"]]
    assert flags == [p["confidence"] >= corpus_collection.answer_threshold for p in body["passages"]]
    assert True in flags and False in flags
    assert body["answered"] is flags[0]


def test_every_citation_round_trips_through_get_document(client: TestClient) -> None:
    for question in (
        "Which organizations attended the meeting in 2017?",
        "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
    ):
        body = client.post("/ask", json={"question": question, "top_k": 10}).json()
        assert body["passages"]
        for p in body["passages"]:
            c = p["citation"]
            doc = client.get(f"/documents/{c['doc_id']}").json()
            assert doc["text"][c["start"] : c["end"]] == p["text"]
            assert doc["title"] == c["title"]
            for h in p["highlights"]:
                assert c["start"] <= h["start"] < h["end"] <= c["end"]


def test_arabic_question_is_detected(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"}).json()
    assert body["lang"] == "ar"


def test_filters_apply(client: TestClient) -> None:
    body = client.post(
        "/ask",
        json={
            "question": "regional organizations",
            "top_k": 20,
            "filters": {"lang": "ar", "year": 2017},
        },
    ).json()
    assert body["passages"] and all(p["lang"] == "ar" for p in body["passages"])


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n\t "}, "empty"),
        ({"question": "x" * 2001}, "over the limit of 2,000 characters"),
        ({"question": "ok", "top_k": 0}, "top_k"),
        ({"question": "ok", "top_k": -3}, "top_k"),
        ({"question": "ok", "top_k": 10_000}, "top_k"),
        ({"question": "ok", "top_k": "five"}, "top_k"),
        ({"question": "ok", "filters": {"colour": "red"}}, "colour"),
        ({"question": "ok", "filters": {"year": "last"}}, "year"),
        ({"question": "ok", "extra": 1}, "extra"),
        ({}, "question"),
    ],
)
def test_bad_ask_requests_get_a_clear_422(client: TestClient, payload: dict, fragment: str) -> None:
    r = client.post("/ask", json=payload)
    assert r.status_code == 422, r.text
    assert fragment in r.json()["detail"]


def test_invalid_json_is_a_422(client: TestClient) -> None:
    r = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"] or "json" in r.json()["detail"]


def test_documents_list_and_detail(client: TestClient) -> None:
    listing = client.get("/documents").json()
    ids = {d["doc_id"]: d for d in listing["documents"]}
    assert (
        ids["un-regional-organizations"]["lang"] == "ar" and ids["un-regional-organizations"]["chunks"] >= 5
    )
    assert listing["version"]
    doc = client.get("/documents/summary-overview").json()
    assert doc["kind"] == "summary" and doc["metadata"]["summary_of"] == "un-regional-organizations"
    assert client.get("/documents/nope").status_code == 404


@pytest.mark.parametrize("doc_id", ["..%2F..%2Fetc%2Fpasswd", "a" * 10_000, "UPPER", "with space"])
def test_bad_document_ids_are_rejected(client: TestClient, doc_id: str) -> None:
    r = client.get(f"/documents/{doc_id}")
    assert r.status_code in (404, 422)
    assert len(r.text) < 2000


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["documents"] == 7 and body["chunks"] > 0


def test_openapi_has_examples_in_both_languages(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    text = str(schema["components"]["schemas"]["AskRequest"])
    assert "2017" in text and "٢٠١٧" in text
    assert client.get("/docs").status_code == 200


# -- writes -------------------------------------------------------------------------------


def test_writes_need_a_valid_key_and_change_nothing_without_one(client: TestClient) -> None:
    payload = {"title": "Note", "text": "A workshop was held in Zanzibar in 2025.", "lang": "en"}
    before = client.get("/documents").json()
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": "Basic x"},
    ):
        assert client.post("/documents", json=payload, headers=headers).status_code == 401
        assert client.put("/documents/note", json=payload, headers=headers).status_code == 401
        assert client.delete("/documents/summary-overview", headers=headers).status_code == 401
    assert client.get("/documents").json() == before


def test_writes_are_disabled_without_configured_keys(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        r = c.post("/documents", json={"title": "t", "text": "x"}, headers=AUTH)
        assert r.status_code == 403 and "MARJA_API_KEYS" in r.json()["detail"]


def test_add_replace_delete_cycle(client: TestClient) -> None:
    payload = {
        "title": "Zanzibar note",
        "text": "A workshop on mediation was held in Zanzibar in 2025.",
        "lang": "en",
        "kind": "summary",
        "source_url": "https://example.org/z",
    }
    r = client.post("/documents", json=payload, headers=AUTH)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["doc_id"] == "zanzibar-note" and created["chunks"] == 1
    # visible to the very next query
    top = client.post("/ask", json={"question": "Where was the workshop in 2025?"}).json()["passages"][0]
    assert top["citation"]["doc_id"] == "zanzibar-note"
    assert top["citation"]["source_url"] == "https://example.org/z"
    # a second POST with the same id conflicts
    assert client.post("/documents", json=payload, headers=AUTH).status_code == 409
    # PUT replaces
    payload["text"] = "The workshop moved to Mombasa in 2025."
    r = client.put("/documents/zanzibar-note", json=payload, headers={"X-API-Key": API_KEY})
    assert r.status_code == 200
    assert "Mombasa" in client.get("/documents/zanzibar-note").json()["text"]
    # DELETE removes
    assert client.delete("/documents/zanzibar-note", headers=AUTH).status_code == 204
    assert client.get("/documents/zanzibar-note").status_code == 404
    assert client.delete("/documents/zanzibar-note", headers=AUTH).status_code == 404


def test_put_creates_when_missing(client: TestClient) -> None:
    r = client.put("/documents/new-doc", json={"title": "New", "text": "نص جديد عن الوساطة"}, headers=AUTH)
    assert r.status_code == 201 and r.json()["doc_id"] == "new-doc"
    assert client.get("/documents/new-doc").json()["lang"] == "ar"


def test_upload_a_markdown_file(client: TestClient) -> None:
    md = "---\ntitle: موجز ٢٠٢٥\nkind: summary\n---\n\nعُقد الاجتماع الثامن في عام ٢٠٢٥ في عمّان.\n"
    r = client.post(
        "/documents", files={"file": ("brief-2025.md", md.encode(), "text/markdown")}, headers=AUTH
    )
    assert r.status_code == 201, r.text
    assert r.json()["doc_id"] == "brief-2025"
    doc = client.get("/documents/brief-2025").json()
    assert doc["title"] == "موجز ٢٠٢٥" and doc["lang"] == "ar" and doc["kind"] == "summary"


@pytest.mark.parametrize(
    ("files", "status", "fragment"),
    [
        ({"file": ("a.exe", b"MZ\x00\x00", "application/octet-stream")}, 415, "unsupported"),
        ({"file": ("a.txt", "نص".encode("cp1256"), "text/plain")}, 422, "UTF-8"),
        ({"file": ("a.txt", b"", "text/plain")}, 422, "empty"),
        ({"other": ("a.txt", b"text", "text/plain")}, 422, "file"),
    ],
)
def test_bad_uploads(client: TestClient, files: dict, status: int, fragment: str) -> None:
    r = client.post("/documents", files=files, headers=AUTH)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]


def test_wrong_content_type_and_oversized_body(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY], max_upload_bytes=2048) as c:
        r = c.post("/documents", content=b"hello", headers={**AUTH, "content-type": "text/plain"})
        assert r.status_code == 415 and "content type" in r.json()["detail"]
        big = {"title": "big", "text": "x" * 5000}
        r = c.post("/documents", json=big, headers=AUTH)
        assert r.status_code == 413


def test_cors_allow_list(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, cors_origins=["https://intranet.example.org"]) as c:
        ok = c.options(
            "/ask",
            headers={
                "Origin": "https://intranet.example.org",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert ok.headers.get("access-control-allow-origin") == "https://intranet.example.org"
        bad = c.options(
            "/ask",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in bad.headers
    with make_client(corpus_collection) as c:  # empty allow-list: same origin only, never *
        r = c.post("/ask", json={"question": "x"}, headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers


def test_read_key_when_configured(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, read_api_keys=["reader-key-0123456789"], api_keys=[API_KEY]) as c:
        assert c.post("/ask", json={"question": "Djibouti"}).status_code == 401
        assert (
            c.post(
                "/ask", json={"question": "Djibouti"}, headers={"X-API-Key": "reader-key-0123456789"}
            ).status_code
            == 200
        )
        assert c.get("/documents", headers=AUTH).status_code == 200
        assert c.get("/health").status_code == 200


# -- why nothing answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        ({"doc_id": "nope"}, "no passage matches the filters"),
        ({"kind": "nonsense"}, "no passage matches the filters"),
        ({"lang": "fr"}, "no passage matches the filters"),
        ({"year": 1999, "lang": "ar"}, "no passage matches the filters"),
    ],
)
def test_filters_that_match_nothing_say_so(client: TestClient, filters: dict, reason: str) -> None:
    body = client.post("/ask", json={"question": "Where was the 2018 workshop?", "filters": filters}).json()
    assert body["answered"] is False and body["passages"] == [] and body["reason"] == reason


def test_an_empty_index_says_it_holds_no_documents(collection: Collection) -> None:
    with make_client(collection) as c:
        body = c.post("/ask", json={"question": "Where was the 2018 workshop?"}).json()
    assert body == {**body, "answered": False, "passages": [], "reason": "the index holds no documents"}
    assert body["version"] is None


# -- what a write may say, and where each field comes from ------------------------------------


def test_put_without_a_field_keeps_the_stored_value(client: TestClient) -> None:
    first = {
        "title": "Djibouti brief",
        "text": "The fifth meeting was held in Djibouti in 2017.",
        "lang": "en",
        "kind": "summary",
        "source_url": "https://example.org/djibouti",
    }
    assert client.post("/documents", json=first, headers=AUTH).status_code == 201
    r = client.put(
        "/documents/djibouti-brief", json={"text": "The fifth meeting met in Djibouti."}, headers=AUTH
    )
    assert r.status_code == 200, r.text
    doc = client.get("/documents/djibouti-brief").json()
    assert doc["text"] == "The fifth meeting met in Djibouti."
    assert {k: doc[k] for k in ("title", "lang", "kind", "source_url")} == {
        "title": "Djibouti brief",
        "lang": "en",
        "kind": "summary",
        "source_url": "https://example.org/djibouti",
    }
    # A field given replaces; a file that states a field (front matter) wins over the stored value.
    client.put("/documents/djibouti-brief", json={"text": "Djibouti, 2017.", "kind": "source"}, headers=AUTH)
    assert client.get("/documents/djibouti-brief").json()["kind"] == "source"
    md = b"---\nkind: note\n---\n\nDjibouti hosted the fifth meeting.\n"
    r = client.put("/documents/djibouti-brief", files={"file": ("d.md", md, "text/markdown")}, headers=AUTH)
    assert r.status_code == 200, r.text
    doc = client.get("/documents/djibouti-brief").json()
    assert (
        doc["kind"] == "note" and doc["title"] == "Djibouti brief" and doc["source_url"].endswith("djibouti")
    )


def test_post_defaults_stay(client: TestClient) -> None:
    r = client.post("/documents", json={"title": "Plain note", "text": "A note about Amman."}, headers=AUTH)
    assert r.status_code == 201
    doc = client.get("/documents/plain-note").json()
    assert doc["kind"] == "source" and doc["source_url"] is None and doc["lang"] == "en"
    r = client.post("/documents", json={"text": "No title here."}, headers=AUTH)
    assert r.status_code == 422 and "title" in r.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"kind": "Not A Kind!"}, "kind: must be 1-40 lower-case letters"),
        ({"lang": "english"}, "lang: must be a language code"),
        ({"doc_id": "Bad Id"}, "doc_id: must be 1-128 lower-case letters"),
        ({"title": " \u200b "}, "title: is empty"),
    ],
)
def test_upload_fields_are_checked_like_json_fields(client: TestClient, fields: dict, fragment: str) -> None:
    upload = client.post(
        "/documents",
        files={"file": ("n.md", b"A note about Amman.", "text/markdown")},
        data=fields,
        headers=AUTH,
    )
    assert upload.status_code == 422 and fragment in upload.json()["detail"], upload.text
    as_json = client.post("/documents", json={"title": "t", "text": "A note.", **fields}, headers=AUTH)
    assert as_json.status_code == 422 and fragment in as_json.json()["detail"], as_json.text


def test_an_upload_just_under_the_limit_is_accepted(corpus_collection: Collection) -> None:
    """The multipart framing is not counted against the file's size limit."""
    with make_client(corpus_collection, api_keys=[API_KEY], max_upload_bytes=2048) as c:
        text = ("A workshop on mediation was held in Amman. " * 60)[:1900].encode()
        r = c.post("/documents", files={"file": ("amman.txt", text, "text/plain")}, headers=AUTH)
        assert r.status_code == 201, r.text
        over = c.post("/documents", files={"file": ("big.txt", b"x " * 1100, "text/plain")}, headers=AUTH)
        assert over.status_code == 413 and "2,048" in over.json()["detail"]


def test_the_openapi_upload_form_has_the_json_fields(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/documents"]["post"]["requestBody"]["content"]
    form = post["multipart/form-data"]["schema"]
    assert form["required"] == ["file"]
    assert set(form["properties"]) == {"file", "title", "lang", "kind", "source_url", "doc_id"}
    assert set(post["application/json"]["schema"]["required"]) == {"title", "text"}
    put = schema["paths"]["/documents/{doc_id}"]["put"]["requestBody"]["content"]
    assert put["application/json"]["schema"]["required"] == ["text"]
    assert set(put["multipart/form-data"]["schema"]["properties"]) == set(form["properties"])


# -- messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "headers", "detail"),
    [
        (b"{not json", {"content-type": "application/json"}, "body: not valid JSON (at character 1)"),
        (
            b'{"question": "x"}',
            {},
            "body: must be a JSON object, sent with the header Content-Type: application/json",
        ),
        (b"[1, 2]", {"content-type": "application/json"}, "body: must be a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_named(
    client: TestClient, content: bytes, headers: dict, detail: str
) -> None:
    r = client.post("/ask", content=content, headers=headers)
    assert r.status_code == 422 and r.json()["detail"].startswith(detail), r.text


@pytest.mark.parametrize("question", ["", "  ", "\u200b\u200f", " \t\n"])
def test_every_empty_question_gets_one_message(client: TestClient, question: str) -> None:
    for path, body in (("/ask", {}), ("/feedback", {"verdict": "down"})):
        r = client.post(path, json={"question": question, **body})
        assert r.status_code == 422
        assert (
            r.json()["detail"]
            == "question: is empty (only spaces, control, zero-width or direction characters)"
        )


@pytest.mark.parametrize("version", ["v1", "1", "v00000x", "v" + "0" * 40])
def test_a_malformed_version_is_explained_by_the_one_check(client: TestClient, version: str) -> None:
    r = client.get("/documents/un-regional-organizations", params={"version": version})
    assert r.status_code == 422
    assert "expected 'v' and six digits, like v000007" in r.json()["detail"]


def test_openapi_names_how_a_request_presents_its_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer KEY"}
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert "security" not in schema["paths"]["/ask"]["post"]  # reads are open by default
    add = {name for option in schema["paths"]["/documents"]["post"]["security"] for name in option}
    assert add == {"bearer", "apiKey"}
