"""A real `marja serve` process: durability of writes and visibility of other processes' ingests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.live import LiveServer
from index.embedders.base import Embedder
from tests.conftest import on_backend_under_test, open_collection

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
KEY = "live-test-key-0123456789"


def start(data: Path) -> LiveServer:
    return LiveServer(data, data.parent / "serve.log", env={"MARJA_API_KEYS": KEY}).start()


@pytest.fixture
def server(_default_index: Path, tmp_path: Path, default_embedder: Embedder) -> Iterator[LiveServer]:
    data = tmp_path / "live"
    shutil.copytree(_default_index, data)
    on_backend_under_test(data, default_embedder)
    s = start(data)
    yield s
    s.kill()


def test_a_201_survives_kill_9(server: LiveServer, default_embedder: Embedder) -> None:
    doc = {"title": "Amman meeting", "text": "In 2025 the eighth meeting was held in Amman.", "lang": "en"}
    r = httpx.post(server.url + "/documents", json=doc, headers={"X-API-Key": KEY}, timeout=60)
    assert r.status_code == 201, r.text
    server.kill()  # right after the 201
    after = open_collection(server.data_dir, default_embedder)
    assert "amman-meeting" in {d.doc_id for d in after.documents()}
    assert (
        after.ask("Where was the eighth meeting held?", top_k=1).hits[0].stored.chunk.doc_id
        == "amman-meeting"
    )
    restarted = start(server.data_dir)
    try:
        assert httpx.get(restarted.url + "/documents/amman-meeting").status_code == 200
    finally:
        restarted.kill()


def test_server_sees_a_cli_ingest_without_restart(server: LiveServer, tmp_path: Path) -> None:
    question = {"question": "Where did the regional organizations meet in 2026?", "top_k": 1}
    before = httpx.post(server.url + "/ask", json=question, timeout=30).json()
    assert before["passages"][0]["citation"]["doc_id"] != "meeting-2026"
    note = tmp_path / "meeting-2026.md"
    note.write_text("---\ntitle: 2026 meeting\n---\n\nIn 2026 the regional organizations met in Tunis.\n")
    subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(note)],
        cwd=REPO,
        env=server.env,
        check=True,
        capture_output=True,
    )
    after = httpx.post(server.url + "/ask", json=question, timeout=30).json()
    assert after["passages"][0]["citation"]["doc_id"] == "meeting-2026"
    r = httpx.delete(server.url + "/documents/meeting-2026", headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 204
    gone = httpx.post(server.url + "/ask", json={**question, "top_k": 20}, timeout=30).json()
    assert all(p["citation"]["doc_id"] != "meeting-2026" for p in gone["passages"])
