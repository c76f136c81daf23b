"""Switching a deployment to Milvus: ``marja migrate --to milvus``, then two real ``marja serve``
processes on different data directories and one Milvus answer alike and see each other's ingests.

Runs whatever MARJA_BACKEND says: the servers are pointed at the session's milvus-lite server.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.live import LiveServer
from harness.milvus import drop_index
from service.cli import main
from tests.conftest import milvus_client

pytestmark = pytest.mark.model

KEY = "replica-test-key-0123456789"
QUESTIONS = [
    "Which organizations attended the meeting in 2017?",
    "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
]


@pytest.fixture
def milvus_env(milvus_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Settings that name a fresh index in the session's Milvus (dropped afterwards)."""
    prefix = f"r{uuid.uuid4().hex[:16]}"
    env = {"MARJA_BACKEND": "milvus", "MARJA_MILVUS_URI": milvus_uri, "MARJA_MILVUS_COLLECTION": prefix}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    drop_index(milvus_client(milvus_uri), prefix)


def _passages(server: LiveServer, question: str) -> list[tuple[str, int, int, list[tuple[int, int]]]]:
    r = httpx.post(server.url + "/ask", json={"question": question, "top_k": 5}, timeout=60)
    assert r.status_code == 200, r.text
    return [
        (
            p["citation"]["doc_id"],
            p["citation"]["start"],
            p["citation"]["end"],
            [(h["start"], h["end"]) for h in p["highlights"]],
        )
        for p in r.json()["passages"]
    ]


def test_migrate_then_two_servers_share_one_index(
    _default_index: Path,
    tmp_path: Path,
    milvus_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(_default_index, a)
    shutil.copytree(_default_index, b)
    (b / "index").rename(tmp_path / "b-local-index")  # b serves from Milvus only

    monkeypatch.setenv("MARJA_DATA_DIR", str(a))
    assert main(["migrate", "--to", "milvus"]) == 0
    out = capsys.readouterr().out
    assert "nothing re-embedded" in out and "as v000001" in out, out

    # Answers through the local files, to compare with what the servers give from Milvus.
    monkeypatch.setenv("MARJA_BACKEND", "local")
    local = LiveServer(a, tmp_path / "local.log", env={"MARJA_BACKEND": "local"}).start()
    try:
        expected = {q: _passages(local, q) for q in QUESTIONS}
    finally:
        local.kill()

    env = {**milvus_env, "MARJA_API_KEYS": KEY}
    one = LiveServer(a, tmp_path / "one.log", env=env).start()
    two = LiveServer(b, tmp_path / "two.log", env=env).start()
    try:
        for q in QUESTIONS:
            assert expected[q], q
            assert _passages(one, q) == _passages(two, q) == expected[q], q
        doc = {
            "title": "Amman meeting",
            "text": "In 2031 the eighth meeting was held in Amman.",
            "lang": "en",
        }
        r = httpx.post(one.url + "/documents", json=doc, headers={"X-API-Key": KEY}, timeout=120)
        assert r.status_code == 201, r.text
        question = "Where was the eighth meeting held in 2031?"
        assert _passages(two, question)[0][0] == "amman-meeting"
        listed = [httpx.get(s.url + "/documents", timeout=30).json() for s in (one, two)]
        assert listed[0] == listed[1] and "amman-meeting" in str(listed[1])
        r = httpx.delete(two.url + "/documents/amman-meeting", headers={"X-API-Key": KEY}, timeout=120)
        assert r.status_code in (200, 204), r.text
        assert httpx.get(one.url + "/documents/amman-meeting", timeout=30).status_code == 404
    finally:
        one.kill()
        two.kill()
