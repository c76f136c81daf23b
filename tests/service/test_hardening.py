"""Bad input, limits, auth settings and storage failures: a clear 4xx/5xx, nothing else changes."""

from __future__ import annotations

import errno
import json
import logging

import pytest
from pydantic import ValidationError

from index.collection import Collection
from service.settings import Settings
from tests.conftest import API_KEY, fail_index_writes, make_client

AUTH = {"X-API-Key": API_KEY}


def raw_json(client, path: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(path, content=text.encode(), headers={"content-type": "application/json"})


def test_control_characters_are_dropped_and_lone_surrogates_refused(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        r = raw_json(c, "/ask", json.dumps({"question": "Djibouti\u0000\u0007 meeting\u001b"}))
        assert r.status_code == 200 and r.json()["question"] == "Djibouti meeting"
        r = raw_json(c, "/ask", '{"question": "bad \\ud800 text"}')
        assert r.status_code == 422 and "question" in r.json()["detail"]
        r = raw_json(c, "/ask", '{"question": "\\u0000\\u0001"}')
        assert r.status_code == 422


def test_a_third_language_is_answered_and_reported(corpus_collection: Collection) -> None:
    """A French question over Arabic and English documents is answered; it is ranked (and
    reported) as the collection's language in its script, English."""
    with make_client(corpus_collection) as c:
        body = c.post(
            "/ask", json={"question": "Quelles organisations ont participé à la réunion de Djibouti ?"}
        ).json()
        assert body["lang"] == "en" and body["passages"]


def test_oversized_bodies_get_413_before_parsing(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, max_request_bytes=4096) as c:
        r = c.post("/ask", json={"question": "x", "padding": "y" * 10_000})
        assert r.status_code == 413 and "4,096" in r.json()["detail"]

        def chunks():  # type: ignore[no-untyped-def]
            yield b'{"question": "'
            for _ in range(10):
                yield b"z" * 1000
            yield b'"}'

        r = c.post("/ask", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_rate_limit_answers_429_with_retry_after(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, rate_limit="3/minute", api_keys=[API_KEY]) as c:
        codes = [c.post("/ask", json={"question": "Djibouti"}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = c.post("/ask", json={"question": "Djibouti"})
        assert 1 <= int(r.headers["Retry-After"]) <= 60 and "limit" in r.json()["detail"]
        assert c.get("/documents").status_code == 200  # only /ask is limited
        # another client, identified by its valid key, has its own budget
        assert c.post("/ask", json={"question": "Djibouti"}, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("keys", "ok"),
    [
        ("", True),
        ("short", False),
        ("changeme", False),
        ("a" * 15, False),
        ("x" * 16 + ",y" * 1, False),
        ("x" * 16 + "," + "y" * 24, True),
    ],
)
def test_api_keys_must_be_strong(monkeypatch: pytest.MonkeyPatch, keys: str, ok: bool) -> None:
    monkeypatch.setenv("MARJA_API_KEYS", keys)
    if ok:
        Settings()
    else:
        with pytest.raises(ValidationError, match="at least 16 characters"):
            Settings()


def test_bad_rate_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARJA_RATE_LIMIT", "lots")
    with pytest.raises(ValidationError, match="60/minute"):
        Settings()


@pytest.mark.parametrize(("code", "status"), [(errno.ENOSPC, 507), (errno.EROFS, 503), (errno.EACCES, 503)])
def test_storage_failure_is_clear_and_the_old_index_keeps_serving(
    corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch, code: int, status: int
) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        before = c.get("/documents").json()
        fail_index_writes(monkeypatch, OSError(code, "simulated"))
        r = c.post("/documents", json={"title": "t", "text": "new text about Zanzibar"}, headers=AUTH)
        assert r.status_code == status
        assert "cannot write the index" in r.json()["detail"] and "previous version" in r.json()["detail"]
        assert c.get("/documents").json() == before
        assert c.post("/ask", json={"question": "Djibouti"}).json()["passages"]


def test_unexpected_errors_are_500_without_a_traceback(
    corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(Collection, "ask", boom)
    with make_client(corpus_collection, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.post("/ask", json={"question": "x"})
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text
    assert "secret internal detail" in caplog.text  # the log says what happened


@pytest.mark.parametrize("doc_id", ["..", "../../etc/passwd", "a" * 129, "-leading-dash", "UPPER"])
def test_bad_doc_ids_in_writes(client, doc_id: str) -> None:  # type: ignore[no-untyped-def]
    r = client.put(f"/documents/{doc_id}", json={"title": "t", "text": "x"}, headers=AUTH)
    assert r.status_code in (404, 405, 422)  # ".." is normalised away by the URL: no such route
    r = client.post("/documents", json={"title": "t", "text": "some text", "doc_id": doc_id}, headers=AUTH)
    assert r.status_code == 422
