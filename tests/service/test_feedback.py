"""POST/GET /feedback, the SQLite store behind them, and `marja feedback export`."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index.collection import Collection
from service.cli import main
from service.feedback_export import question_row, write_question_set
from service.feedback_store import FILE_NAME, Feedback, FeedbackStore, ShownPassage, StoredFeedback
from tests.conftest import API_KEY, REPO, make_client

AUTH = {"X-API-Key": API_KEY}
Q = "Which organizations attended the meeting in 2017?"


def _shown(client, question: str = Q) -> tuple[dict, list[dict]]:  # type: ignore[no-untyped-def]
    answer = client.post("/ask", json={"question": question, "top_k": 3}).json()
    passages = [
        {"doc_id": p["citation"]["doc_id"], "start": p["citation"]["start"], "end": p["citation"]["end"]}
        for p in answer["passages"]
    ]
    return answer, passages


def test_feedback_round_trip(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        answer, passages = _shown(c)
        r = c.post(
            "/feedback",
            json={
                "question": Q,
                "lang": answer["lang"],
                "verdict": "up",
                "passages": passages,
                "approved": 1,
                "comment": "  the second one names them all  ",
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["id"] == 1 and created["created_at"].endswith("Z")
        r = c.post("/feedback", json={"question": "and in 2019?", "previous_question": Q, "verdict": "down"})
        assert r.status_code == 201

        listed = c.get("/feedback", headers=AUTH).json()
        assert listed["total"] == 2 and listed["next_after"] is None
        first, second = listed["feedback"]
        assert first == {
            "id": 1,
            "created_at": created["created_at"],
            "verdict": "up",
            "question": Q,
            "previous_question": None,
            "lang": "en",
            "comment": "the second one names them all",
            "passages": passages,
            "approved": 1,
            "answered": None,
            "index_version": corpus_collection.snapshot().version,
        }
        assert second["verdict"] == "down" and second["previous_question"] == Q and second["comment"] is None

        page = c.get("/feedback", params={"limit": 1}, headers=AUTH).json()
        assert [f["id"] for f in page["feedback"]] == [1] and page["next_after"] == 1
        page = c.get("/feedback", params={"after": 1, "limit": 1}, headers=AUTH).json()
        assert [f["id"] for f in page["feedback"]] == [2]
        assert [f["id"] for f in c.get("/feedback?verdict=down", headers=AUTH).json()["feedback"]] == [2]


def test_listing_needs_a_write_key(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        refused = c.get("/feedback")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert "API key is required" in refused.json()["detail"]
        assert c.get("/feedback", headers={"X-API-Key": "wrong-key-0123456789"}).status_code == 401
    with make_client(corpus_collection) as c:
        refused = c.get("/feedback")
        assert refused.status_code == 403 and "MARJA_API_KEYS" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"comment": "x" * 501}, "comment: over the limit of 500"),
        ({"question": "q" * 2001}, "question: over the limit of 2,000"),
        ({"question": " \u0007 "}, "question: is empty"),
        ({"verdict": "meh"}, "verdict"),
        ({"verdict": "down", "approved": 0}, "only a thumbs up approves"),
        ({"approved": 5}, "not the index of one of the passages"),
        ({"passages": [{"doc_id": "Bad Id", "start": 0, "end": 1}]}, "doc_id"),
        ({"passages": [{"doc_id": "a", "start": 5, "end": 1}]}, "end must not be before start"),
        ({"passages": [{"doc_id": "a", "start": 0, "end": 1}] * 51}, "passages"),
        ({"index_version": "../../etc"}, "index_version"),
        ({"user": "someone@example.org"}, "user"),
    ],
)
def test_bad_feedback_is_refused(corpus_collection: Collection, change: dict, fragment: str) -> None:
    body = {"question": Q, "verdict": "up", "passages": [{"doc_id": "a", "start": 0, "end": 10}], **change}
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        r = c.post("/feedback", json=body)
        assert r.status_code == 422 and fragment in r.json()["detail"], r.json()
        assert c.get("/feedback", headers=AUTH).json()["total"] == 0


def test_the_store_is_bounded(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY], feedback_max_rows=2) as c:
        codes = [c.post("/feedback", json={"question": Q, "verdict": "down"}).status_code for _ in range(3)]
        assert codes == [201, 201, 507]
        r = c.post("/feedback", json={"question": Q, "verdict": "up"})
        assert r.status_code == 507 and "marja feedback export" in r.json()["detail"]
        assert c.get("/feedback", headers=AUTH).json()["total"] == 2


def test_feedback_is_rate_limited_apart_from_ask(corpus_collection: Collection) -> None:
    with make_client(corpus_collection, rate_limit="2/minute") as c:
        assert [c.post("/ask", json={"question": Q}).status_code for _ in range(3)] == [200, 200, 429]
        codes = [c.post("/feedback", json={"question": Q, "verdict": "up"}).status_code for _ in range(3)]
        assert codes == [201, 201, 429]


def test_nothing_about_the_reader_is_stored(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        c.post(
            "/feedback",
            json={"question": Q, "verdict": "down"},
            headers={"User-Agent": "reader-agent/1.0", "X-Forwarded-For": "10.1.2.3", "Cookie": "sid=abc"},
        )
    db = sqlite3.connect(corpus_collection.data_dir / FILE_NAME)
    columns = [row[1] for row in db.execute("PRAGMA table_info(feedback)")]
    assert columns == [
        "id",
        "created_at",
        "verdict",
        "question",
        "previous_question",
        "lang",
        "passages",
        "approved",
        "answered",
        "comment",
        "index_version",
    ]
    dump = "\n".join(db.iterdump())
    for trace in ("reader-agent", "10.1.2.3", "testclient", "sid=abc"):
        assert trace not in dump


def test_a_stored_verdict_survives_a_crash(tmp_path: Path) -> None:
    """The process is killed (SIGKILL) right after add() returns: the row is there."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from service.feedback_store import Feedback, FeedbackStore
        store = FeedbackStore(Path({str(tmp_path)!r}), max_rows=100)
        for i in range(3):
            store.add(Feedback(verdict="up", question=f"question {{i}}"))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == -9, done.stderr
    rows = FeedbackStore(tmp_path, max_rows=100).list()
    assert [r.question for r in rows] == ["question 0", "question 1", "question 2"]


def _stored(**fields: object) -> StoredFeedback:
    base: dict[str, object] = {"id": 1, "created_at": "2026-01-01T00:00:00Z", "question": Q, "lang": "en"}
    return StoredFeedback(**{**base, **fields})  # type: ignore[arg-type]


P0 = ShownPassage("summary-2017", 0, 180)
P1 = ShownPassage("un-regional-organizations", 2718, 3420)


@pytest.mark.parametrize(
    ("feedback", "row"),
    [
        (
            _stored(verdict="up", passages=(P0, P1), approved=1),
            {"question": Q, "lang": "en", "doc_id": P1.doc_id, "start": 2718, "end": 3420},
        ),
        (
            _stored(verdict="up", passages=(P0, P1)),
            {"question": Q, "lang": "en", "doc_id": P0.doc_id, "start": 0, "end": 180},
        ),
        (
            _stored(verdict="up", passages=(P0,), answered=False),
            {"question": Q, "lang": "en", "answerable": False},
        ),
        (_stored(verdict="up", passages=()), {"question": Q, "lang": "en", "answerable": False}),
        (_stored(verdict="down", passages=(P0, P1)), {"question": Q, "lang": "en", "answerable": False}),
        (_stored(verdict="down", passages=(P0,), answered=False), None),
        (
            _stored(verdict="up", question="and in 2019?", previous_question=Q, passages=(P0,), lang=None),
            {
                "question": "Which organizations attended the meeting in ? and in 2019?",
                "doc_id": P0.doc_id,
                "start": 0,
                "end": 180,
            },
        ),
    ],
    ids=[
        "up-approved",
        "up-first",
        "up-on-no-answer",
        "up-no-passages",
        "down",
        "down-on-no-answer",
        "follow-up",
    ],
)
def test_question_set_rows(feedback: StoredFeedback, row: dict | None) -> None:
    assert question_row(feedback) == row


def test_export_writes_jsonl_once_per_row(tmp_path: Path) -> None:
    rows = [
        _stored(id=1, verdict="up", passages=(P0, P1), approved=1),
        _stored(id=2, verdict="up", passages=(P0, P1), approved=1),
        _stored(id=3, verdict="down", passages=(P0,)),
        _stored(id=4, verdict="down", passages=(P0,), answered=False),
    ]
    path = tmp_path / "set.jsonl"
    with path.open("w") as out:
        report = write_question_set(rows, out)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [question_row(rows[0]), question_row(rows[2])]
    assert (report.written, report.up, report.down, report.duplicates, report.unlabelled) == (2, 1, 1, 1, [4])


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = FeedbackStore(tmp_path, max_rows=100)
    store.add(Feedback(verdict="up", question="Where was the 2018 workshop?", lang="en", passages=(P0,)))
    store.add(
        Feedback(verdict="down", question="ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", lang="ar", passages=(P1,))
    )
    store.add(Feedback(verdict="down", question="Who chaired it?", answered=False, passages=(P1,)))
    out = tmp_path / "feedback.jsonl"
    assert main(["feedback", "export", "--data-dir", str(tmp_path), "-o", str(out)]) == 0
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == [
        {
            "question": "Where was the 2018 workshop?",
            "lang": "en",
            "doc_id": P0.doc_id,
            "start": 0,
            "end": 180,
        },
        {"question": "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", "lang": "ar", "answerable": False},
    ]
    err = capsys.readouterr().err
    assert "2 questions written (1 from thumbs up, 1 from thumbs down)" in err and "ids 3" in err
    assert not list(tmp_path.glob("*.partial"))

    assert main(["feedback", "export", "--data-dir", str(tmp_path), "--verdict", "up"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["question"] for line in printed] == ["Where was the 2018 workshop?"]


def test_cli_export_of_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", "export", "--data-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "0 questions written" in captured.err
    assert not (tmp_path / FILE_NAME).exists()  # reading never creates the database
