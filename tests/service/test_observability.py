"""What an operator sees: /metrics in Prometheus format, one log line per request, JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from index.collection import Collection
from service.logs import configure_logging
from tests.conftest import API_KEY, make_client

AUTH = {"X-API-Key": API_KEY}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus exposition, by name and labels (parsed by the client library)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(all_samples: dict, name: str, **labels: str) -> float:
    return all_samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_questions_ingests_and_the_index(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY], rate_limit="2/minute") as c:
        for _ in range(3):
            c.post("/ask", json={"question": "Where was the 2017 meeting held?"})
        c.get("/documents/un-regional-organizations")
        c.get("/documents/no-such-document")
        c.post("/documents", json={"title": "Metrics note", "text": "A note about Amman."}, headers=AUTH)
        c.post("/documents", content=b"x", headers={**AUTH, "content-type": "text/plain"})
        c.post("/documents", json={"title": "No text"}, headers=AUTH)
        c.post("/documents", files={"file": ("a.exe", b"MZ", "application/octet-stream")}, headers=AUTH)
        r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    s = samples(r.text)
    assert value(s, "marja_http_requests_total", method="POST", route="/ask", status="200") == 2
    assert value(s, "marja_http_requests_total", method="POST", route="/ask", status="429") == 1
    assert value(s, "marja_rate_limited_requests_total", path="/ask") == 1
    assert value(s, "marja_http_requests_total", method="GET", route="/documents/{doc_id}", status="404") == 1
    assert value(s, "marja_http_requests_total", method="POST", route="/documents", status="201") == 1
    assert value(s, "marja_http_requests_total", method="POST", route="/documents", status="415") == 2
    for stage in ("embed", "search"):
        assert value(s, "marja_question_duration_seconds_count", stage=stage) == 2
    assert sum(value(s, "marja_questions_total", answered=a) for a in ("true", "false")) == 2
    assert value(s, "marja_ingest_documents_total", result="added") == 1
    assert value(s, "marja_ingest_documents_total", result="failed") == 3  # 415, 422 and 415 while parsing
    assert not [name for name, _ in s if name.endswith("_created")]
    assert "'unknown'" not in r.text
    assert value(s, "marja_ingest_duration_seconds_count", stage="parse") == 2  # the .exe was read too
    assert value(s, "marja_ingest_duration_seconds_count", stage="index") == 1
    assert value(s, "marja_index_documents") == 8
    assert value(s, "marja_index_chunks") > 8
    version = next(dict(k[1]) for k in s if k[0] == "marja_index_info")
    assert version["version"].startswith("v") and version["model"] == corpus_collection.embedder.model_id
    assert value(s, "marja_index_version_number") == int(version["version"][1:])


def test_unmatched_paths_share_one_label(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        for i in range(20):
            c.get(f"/random-{i}")
        s = samples(c.get("/metrics").text)
    routes = {dict(labels).get("route") for name, labels in s if name == "marja_http_requests_total"}
    assert "unmatched" in routes and not any(r and r.startswith("/random") for r in routes)


def test_metrics_need_a_key_when_reads_do(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, read_api_keys=["reader-key-0123456789"]) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"X-API-Key": "reader-key-0123456789"}).status_code == 200


def test_questions_are_counted_by_whether_a_passage_answered(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        for threshold in (1.0, 0.0, 1.0):  # nothing can reach 1.0; anything reaches 0.0
            corpus_collection.answer_threshold = threshold
            assert c.post("/ask", json={"question": "Where was the workshop in Nairobi?"}).status_code == 200
        s = samples(c.get("/metrics").text)
    assert value(s, "marja_questions_total", answered="false") == 2
    assert value(s, "marja_questions_total", answered="true") == 1


# -- the request log ------------------------------------------------------------------------------


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "marja.request"]


def test_one_log_line_per_request_with_its_id(
    corpus_collection: Collection, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        make_client(corpus_collection, rate_limit="1/minute") as c,
        caplog.at_level(logging.INFO, "marja.request"),
    ):
        first = c.post("/ask", json={"question": "Djibouti"})
        limited = c.post("/ask", json={"question": "Djibouti"}, headers={"X-Request-ID": "proxy-abc.123"})
        odd = c.get("/health", headers={"X-Request-ID": "bad id\twith spaces and <html>"})
    lines = request_lines(caplog)
    assert len(lines) == 3
    ids = [first.headers["X-Request-ID"], limited.headers["X-Request-ID"], odd.headers["X-Request-ID"]]
    assert ids[1] == "proxy-abc.123"  # a sane incoming id is kept
    assert ids[2] != "bad id\twith spaces and <html>" and len(ids[2]) == 32  # anything else is replaced
    assert [line.request_id for line in lines] == ids  # type: ignore[attr-defined]
    assert [(line.route, line.status) for line in lines] == [("/ask", 200), ("/ask", 429), ("/health", 200)]  # type: ignore[attr-defined]
    assert all(line.duration_ms >= 0 for line in lines)  # type: ignore[attr-defined]


def test_questions_stay_out_of_the_log_unless_asked_for(
    corpus_collection: Collection, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Which mediator met the confidential delegation in Djibouti?"
    with make_client(corpus_collection) as c, caplog.at_level(logging.DEBUG):
        c.post("/ask", json={"question": secret})
        c.post("/ask", json={"question": secret, "top_k": 0})  # a 422 too
    assert "confidential delegation" not in caplog.text
    caplog.clear()
    with (
        make_client(corpus_collection, log_questions=True) as c,
        caplog.at_level(logging.INFO, "marja.request"),
    ):
        c.post("/ask", json={"question": secret})
    assert [line.question for line in request_lines(caplog)] == [secret]  # type: ignore[attr-defined]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line(
    corpus_collection: Collection, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(level=logging.INFO, json_lines=True)
    with make_client(corpus_collection) as c:
        r = c.post("/ask", json={"question": "وماذا عن جيبوتي؟"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    request = [line for line in lines if line["logger"] == "marja.request"]
    assert len(request) == 1
    assert request[0]["request_id"] == r.headers["X-Request-ID"]
    assert request[0]["route"] == "/ask" and request[0]["status"] == 200 and request[0]["level"] == "INFO"
    assert "جيبوتي" not in json.dumps(lines, ensure_ascii=False)


def test_text_logs_carry_the_request_id(
    corpus_collection: Collection, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging(level=logging.INFO, json_lines=False)
    with make_client(corpus_collection) as c:
        r = c.get("/documents/no-such-document")
    err = capsys.readouterr().err
    rid = r.headers["X-Request-ID"]
    # the request line and the error's own warning both name the request
    assert err.count(f"[{rid}]") == 2 and "status=404" in err and "route=/documents/{doc_id}" in err
