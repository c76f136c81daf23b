"""Publishable widget keys: read-only, bound to origins, rate-limited per key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from index.collection import Collection
from service.cli import main
from service.settings import Settings
from tests.conftest import API_KEY, make_client

READ_KEY = "read-key-0123456789"
WIDGET_KEY = "pk_intranet_0123456789abcdef"
INTRANET = "https://intranet.example.org"
WIKI = "http://wiki.example.org:8080"
ELSEWHERE = "https://copycat.example.com"
Q = {"question": "Which organizations attended the meeting in 2017?", "top_k": 2}


def _client(collection: Collection, **settings: object):  # type: ignore[no-untyped-def]
    return make_client(
        collection,
        api_keys=[API_KEY],
        read_api_keys=[READ_KEY],
        widget_keys={WIDGET_KEY: [INTRANET, WIKI + "/"]},
        **settings,
    )


def _widget(origin: str | None, key: str = WIDGET_KEY) -> dict[str, str]:
    headers = {"X-Widget-Key": key}
    if origin:
        headers["Origin"] = origin
    return headers


def test_a_widget_key_opens_the_reads_from_its_origins(corpus_collection: Collection) -> None:
    with _client(corpus_collection) as c:
        assert c.post("/ask", json=Q).status_code == 401  # reads are protected
        for origin in (INTRANET, WIKI):
            r = c.post("/ask", json=Q, headers=_widget(origin))
            assert r.status_code == 200 and r.json()["passages"], origin
        doc_id = r.json()["passages"][0]["citation"]["doc_id"]
        assert c.get(f"/documents/{doc_id}", headers=_widget(INTRANET)).status_code == 200
        assert c.get("/documents", headers=_widget(INTRANET)).status_code == 200
        r = c.post("/feedback", json={"question": Q["question"], "verdict": "up"}, headers=_widget(INTRANET))
        assert r.status_code == 201


@pytest.mark.parametrize(
    ("headers", "status", "fragment"),
    [
        (_widget(ELSEWHERE), 403, f"not allowed on {ELSEWHERE}"),
        (_widget(None), 403, "not allowed on no Origin header"),
        (_widget("https://intranet.example.org.copycat.example.com"), 403, "not allowed"),
        (_widget(INTRANET, key="pk_guessed_0123456789abcdef"), 401, "unknown widget key"),
        (_widget(INTRANET, key=WIDGET_KEY[:-1]), 401, "unknown widget key"),
        # a widget key never counts as a read key or a write key, whatever the header
        ({"X-API-Key": WIDGET_KEY, "Origin": INTRANET}, 401, "needs an API key"),
    ],
)
def test_a_widget_key_is_refused_elsewhere(
    corpus_collection: Collection, headers: dict, status: int, fragment: str
) -> None:
    with _client(corpus_collection) as c:
        r = c.post("/ask", json=Q, headers=headers)
        assert r.status_code == status and fragment in r.json()["detail"], r.json()


def test_a_widget_key_cannot_write(corpus_collection: Collection) -> None:
    with _client(corpus_collection) as c:
        doc = {"title": "Planted", "text": "A planted document.", "lang": "en"}
        assert c.post("/documents", json=doc, headers=_widget(INTRANET)).status_code == 401
        assert c.delete("/documents/un-regional-organizations", headers=_widget(INTRANET)).status_code == 401
        assert c.get("/feedback", headers=_widget(INTRANET)).status_code == 401
        assert (
            c.get("/documents/un-regional-organizations", headers={"X-API-Key": API_KEY}).status_code == 200
        )
        ids = [d["doc_id"] for d in c.get("/documents", headers={"X-API-Key": READ_KEY}).json()["documents"]]
        assert "planted" not in ids


def test_cors_allows_the_keys_origins(corpus_collection: Collection) -> None:
    with _client(corpus_collection, cors_origins=["https://admin.example.org"]) as c:
        for origin, allowed in [
            (INTRANET, True),
            (WIKI, True),
            ("https://admin.example.org", True),
            (ELSEWHERE, False),
        ]:
            r = c.options(
                "/ask",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,x-widget-key",
                },
            )
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed, origin
            if allowed:
                assert "x-widget-key" in r.headers["access-control-allow-headers"].lower()
        # an answer refused for the wrong origin is still readable by an allowed page (403, not a CORS error)
        r = c.post("/ask", json=Q, headers={"X-Widget-Key": "pk_unknown_0123456789abc", "Origin": INTRANET})
        assert r.status_code == 401 and r.headers["access-control-allow-origin"] == INTRANET


def test_each_widget_key_has_its_own_rate_limit(corpus_collection: Collection) -> None:
    with make_client(
        corpus_collection,
        widget_keys={WIDGET_KEY: [INTRANET]},
        widget_rate_limit="3/minute",
        rate_limit="50/minute",
    ) as c:
        codes = [c.post("/ask", json=Q, headers=_widget(INTRANET)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.post("/ask", json=Q, headers=_widget(INTRANET))
        assert (
            r.status_code == 429
            and "3 per 1 minute" in r.json()["detail"]
            and int(r.headers["retry-after"]) > 0
        )
        # the same client without the key has its own budget
        assert c.post("/ask", json=Q).status_code == 200


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('{"short": ["https://intranet.example.org"]}', "at least 16"),
        ('{"pk_0123456789abcdef": []}', "at least one origin"),
        ('{"pk_0123456789abcdef": ["https://intranet.example.org/path"]}', "not an origin"),
        ('{"pk_0123456789abcdef": ["*"]}', "not an origin"),
        ('{"pk_0123456789abcdef": ["intranet.example.org"]}', "not an origin"),
        ('["pk_0123456789abcdef"]', "valid dictionary"),
    ],
)
def test_bad_widget_key_settings_stop_marja(
    value: str, fragment: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARJA_WIDGET_KEYS", value)
    with pytest.raises(ValidationError, match=fragment):
        Settings()
    assert main(["ls"]) == 2
    assert "invalid setting MARJA_WIDGET_KEYS" in capsys.readouterr().err


def test_widget_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARJA_WIDGET_KEYS", f'{{"{WIDGET_KEY}": ["HTTPS://Intranet.Example.org/"]}}')
    assert Settings().widget_keys == {WIDGET_KEY: [INTRANET]}
