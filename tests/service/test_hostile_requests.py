"""Requests an attacker (or a careless client) sends: each gets a bounded, clear answer."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import docx
import pytest

import ingest.loaders as loaders
from core.document import Document
from index.backends.factory import create_store
from index.collection import Collection
from ingest.loaders.base import LoadedText
from service.credentials import RateBucket, rate_bucket
from service.limits import RateLimiter
from service.settings import Settings
from tests.conftest import API_KEY, make_client, unpublished
from tests.ingest.test_front_matter import ALIAS_BOMB

AUTH = {"X-API-Key": API_KEY}


# -- the rate limit and the headers ------------------------------------------------------------------


def test_random_keys_do_not_escape_the_rate_limit(corpus_collection: Collection) -> None:
    """A new unknown key on every request used to be a new client with a fresh budget."""
    with make_client(corpus_collection, rate_limit="3/minute", api_keys=[API_KEY]) as c:
        codes = [
            c.post(
                "/ask", json={"question": "Djibouti"}, headers={"X-API-Key": f"random-key-{i:08d}"}
            ).status_code
            for i in range(4)
        ]
        codes += [
            c.post(
                "/ask", json={"question": "Djibouti"}, headers={"Authorization": f"Bearer other-{i:012d}"}
            ).status_code
            for i in range(2)
        ]
        assert codes == [200, 200, 200, 429, 429, 429]
        # the address's budget is spent; a valid key still has its own
        assert c.post("/ask", json={"question": "Djibouti"}, headers=AUTH).status_code == 200


def test_an_invalid_key_is_refused_when_reads_need_a_key(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, rate_limit="2/minute", read_api_keys=["reader-key-0123456789"]) as c:
        codes = [
            c.post(
                "/ask", json={"question": "Djibouti"}, headers={"X-API-Key": f"guess-{i:012d}"}
            ).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 429, 429]


def test_buckets_are_named_by_validated_credentials_only() -> None:
    settings = Settings(api_keys=[API_KEY], read_api_keys=["reader-key-0123456789"])

    def scope(headers: dict[str, str]) -> dict:
        return {
            "type": "http",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("192.0.2.7", 5555),
        }

    write = rate_bucket(scope({"X-API-Key": API_KEY}), settings)
    read = rate_bucket(scope({"Authorization": "Bearer reader-key-0123456789"}), settings)
    assert write.name.startswith("key:") and read.name.startswith("key:") and write != read
    assert API_KEY not in write.name  # a digest, never the key
    assert rate_bucket(scope({"X-API-Key": "x" * 4_000_000}), settings) == RateBucket("ip:192.0.2.7")
    assert rate_bucket(scope({}), settings) == RateBucket("ip:192.0.2.7")


def test_the_rate_limiter_remembers_a_bounded_number_of_clients() -> None:
    now = [0.0]
    limiter = RateLimiter("2/minute", max_buckets=100, clock=lambda: now[0])
    for i in range(10_000):
        assert limiter.hit(f"ip:10.0.{i // 256}.{i % 256}") == 0.0
    assert len(limiter) == 100
    assert limiter.hit("ip:x") == 0.0 and limiter.hit("ip:x") == 0.0
    assert limiter.hit("ip:x") == pytest.approx(30.0)  # 2 per minute: the next one in 30 s
    now[0] = 30.0
    assert limiter.hit("ip:x") == 0.0


def test_oversized_headers_are_refused_with_431(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY], max_header_bytes=8192) as c:
        r = c.post("/ask", json={"question": "Djibouti"}, headers={"X-API-Key": "k" * 64_000})
        assert r.status_code == 431 and "8,192" in r.json()["detail"]
        assert c.post("/ask", json={"question": "Djibouti"}).status_code == 200


def test_key_whitespace_follows_one_rule(corpus_collection: Collection) -> None:
    """``Bearer KEY  `` was accepted and ``X-API-Key: KEY  `` refused."""
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        for headers in ({"X-API-Key": f"  {API_KEY}  "}, {"Authorization": f"Bearer   {API_KEY}  "}):
            r = c.post(
                "/documents", json={"title": "Whitespace key", "text": "A note on keys."}, headers=headers
            )
            assert r.status_code == 201, (headers, r.text)
            assert c.delete("/documents/whitespace-key", headers=headers).status_code == 204


# -- validation messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected", "wrong"),
    [
        ({"question": "ok", "filters": {"lang": "ARABIC"}}, "filters.lang: must be a language code", "empty"),
        ({"question": "ok", "filters": {"lang": "a"}}, "filters.lang: must be a language code", "empty"),
        ({"question": "\u200b\u200e\u2066\u202e\ufeff"}, "question: is empty", "Value error"),
        ({"question": "\u200f \u064e"}, "question: is empty", "Value error"),
    ],
)
def test_each_validation_error_says_what_is_wrong(
    corpus_collection: Collection, payload: dict, expected: str, wrong: str
) -> None:
    with make_client(corpus_collection) as c:
        r = c.post("/ask", json=payload)
        assert r.status_code == 422, r.text
        assert expected in r.json()["detail"] and wrong not in r.json()["detail"]


def test_a_bad_document_id_in_a_path_is_named_as_such(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        r = c.get("/documents/BAD..ID")
        assert r.status_code == 422
        assert r.json()["detail"].startswith("doc_id: must be 1-128 lower-case letters")


def test_a_bad_field_in_a_posted_document_is_named(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        r = c.post("/documents", json={"title": "t", "text": "Some text.", "lang": "English"}, headers=AUTH)
        assert r.status_code == 422 and "lang: must be a language code" in r.json()["detail"]
        r = c.post("/documents", json={"title": "\u200b", "text": "Some text."}, headers=AUTH)
        assert r.status_code == 422 and "title: is empty" in r.json()["detail"]


def test_an_invisible_previous_question_is_no_previous_question(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        plain = c.post("/ask", json={"question": "Djibouti meeting"}).json()
        with_invisible = c.post(
            "/ask", json={"question": "Djibouti meeting", "previous_question": "\u200b\u200e"}
        ).json()
        assert [p["citation"] for p in with_invisible["passages"]] == [
            p["citation"] for p in plain["passages"]
        ]


def test_an_unsupported_content_type_is_415(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        for content_type in ("text/plain", "application/xml", ""):
            r = c.post("/documents", content=b"hello", headers={**AUTH, "content-type": content_type})
            assert r.status_code == 415, (content_type, r.text)
            assert "application/json or multipart/form-data" in r.json()["detail"]


# -- hostile documents over the API ------------------------------------------------------------------


def test_an_alias_bomb_upload_is_a_422_that_says_why(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        r = c.post(
            "/documents", files={"file": ("bomb.md", ALIAS_BOMB.encode(), "text/markdown")}, headers=AUTH
        )
        assert r.status_code == 422 and "anchors or aliases" in r.json()["detail"]
        assert len(c.get("/documents").content) < 100_000


def test_deeply_nested_front_matter_is_a_422_not_a_500(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY], raise_server_exceptions=False) as c:
        deep = "---\nx: " + "[" * 20_000 + "\n---\nBody text.\n"
        r = c.post("/documents", files={"file": ("deep.md", deep.encode(), "text/markdown")}, headers=AUTH)
        assert r.status_code == 422 and "levels deep" in r.json()["detail"]


def test_a_busy_index_answer_shows_no_server_path(corpus_collection: Collection) -> None:
    corpus_collection.lock_timeout = 0.2
    holder = create_store(corpus_collection.backend, data_dir=corpus_collection.data_dir, keep_versions=5)
    with make_client(corpus_collection, api_keys=[API_KEY]) as c, holder.write_lock(timeout=5):
        r = c.post(
            "/documents", json={"title": "Busy", "text": "Sent while another ingest runs."}, headers=AUTH
        )
    assert r.status_code == 503 and r.headers["Retry-After"]
    detail = r.json()["detail"]
    assert "another ingest is running" in detail
    assert str(corpus_collection.data_dir) not in detail and "/" not in detail.replace("write lock", "")


# -- uploads are parsed off the event loop -------------------------------------------------------


def test_a_slow_upload_parse_does_not_stall_other_requests(
    corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a file is being parsed, /health still answers (the parse runs in a worker thread).

    The loader blocks until /health has answered, for at most 10 s: on the event loop, /health
    could not answer before the loader gave up, and the test fails.
    """
    parsing = threading.Event()
    health_answered = threading.Event()
    released_by_health: list[bool] = []

    def slow_loader(data: bytes, *, source: str) -> LoadedText:
        parsing.set()
        released_by_health.append(health_answered.wait(timeout=10))
        return LoadedText(text=data.decode())

    monkeypatch.setitem(loaders.LOADERS, ".txt", slow_loader)
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        result: dict[str, int] = {}

        def upload() -> None:
            r = c.post(
                "/documents",
                files={"file": ("slow.txt", b"A slow file about Djibouti.", "text/plain")},
                headers=AUTH,
            )
            result["status"] = r.status_code

        uploader = threading.Thread(target=upload)
        uploader.start()
        assert parsing.wait(timeout=10)
        assert c.get("/health").status_code == 200
        health_answered.set()
        uploader.join(timeout=30)
    assert released_by_health == [True]
    assert result["status"] == 201


# -- documents without metadata ------------------------------------------------------------------


def _docx_without_core_properties(heading: str | None) -> bytes:
    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    document.add_paragraph("The meeting in Djibouti discussed mediation support in the region.")
    saved = io.BytesIO()
    document.save(saved)
    source = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename == "docProps/core.xml":
                continue
            data = source.read(info)
            if info.filename == "_rels/.rels":
                start = data.index(b"<Relationship ", data.index(b"core-properties") - 200)
                data = data[:start] + data[data.index(b"/>", start) + 2 :]
            target.writestr(info, data)
    return out.getvalue()


def test_a_docx_without_core_properties_is_titled_by_its_heading_or_file_name() -> None:
    with_heading = loaders.load_bytes(
        _docx_without_core_properties("Djibouti meeting notes"), filename="notes.docx"
    )
    assert with_heading.title == "Djibouti meeting notes"
    without = loaders.load_bytes(_docx_without_core_properties(None), filename="uploads/brief-2025.docx")
    assert without.title == "brief-2025"


# -- folder ingest -------------------------------------------------------------------------------------


def test_a_folder_ingest_reports_each_bad_file_and_ingests_the_rest(
    collection: Collection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.cli import _ingest_and_report

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a-good.md").write_text("---\ntitle: Good\n---\n\nThe meeting was held in Amman in 2025.\n")
    (folder / "b-bomb.md").write_text(ALIAS_BOMB)
    (folder / "c-deep.md").write_text("---\nx: " + "[" * 20_000 + "\n---\nBody text.\n")
    (folder / "d-bad-id.md").write_text("---\ndoc_id: NOT VALID\n---\n\nText of a note.\n")
    (folder / "e-crash.txt").write_text("This file makes the loader fail in an unexpected way.")
    (folder / "f-good.txt").write_text("Another note: the meeting in Tunis was held in 2026.")

    real_loader = loaders.LOADERS[".txt"]

    def crashing(data: bytes, *, source: str) -> LoadedText:
        if source.endswith("e-crash.txt"):
            raise ValueError("a loader bug")
        return real_loader(data, source=source)

    monkeypatch.setitem(loaders.LOADERS, ".txt", crashing)
    assert _ingest_and_report(collection, [folder], max_bytes=1_000_000) == 1
    err = capsys.readouterr().err
    for name in ("b-bomb.md", "c-deep.md", "d-bad-id.md", "e-crash.txt"):
        assert name in err, err
    assert "anchors or aliases" in err and "levels deep" in err and "ValueError: a loader bug" in err
    assert {d.doc_id for d in collection.documents()} == {"a-good", "f-good"}


def test_a_folder_ingest_still_stops_on_ctrl_c(
    collection: Collection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.cli import _ingest_and_report

    (tmp_path / "a.txt").write_text("First note about Amman.")
    (tmp_path / "b.txt").write_text("Second note about Tunis.")

    def interrupted(data: bytes, *, source: str) -> LoadedText:
        raise KeyboardInterrupt

    monkeypatch.setitem(loaders.LOADERS, ".txt", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _ingest_and_report(collection, [tmp_path], max_bytes=1_000_000)
    assert collection.documents() == []


def test_cancelled_builds_publish_nothing(collection: Collection) -> None:
    """What a client that disconnects gets: the build stops at its next step, nothing changes."""
    from core.errors import IngestCancelled

    def cancel(stage: str, done: int, total: int) -> None:
        raise IngestCancelled("gone")

    doc = Document(doc_id="gone", title="Gone", text="A note that is never stored.", lang="en")
    with pytest.raises(IngestCancelled):
        collection.add(doc, progress=cancel)
    assert collection.documents() == [] and collection.store.current() is None
    assert not unpublished(collection)
