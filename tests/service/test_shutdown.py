"""SIGTERM to a real `marja serve`: in-flight work finishes, the process exits, the index stays whole."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from harness.live import LiveServer
from index.embedders.base import Embedder
from tests.conftest import on_backend_under_test, open_collection

pytestmark = pytest.mark.model

KEY = "shutdown-test-key-0123456789"
GRACE_S = 30  # `marja serve` runs uvicorn with timeout_graceful_shutdown=30


class Server(LiveServer):
    """A started ``marja serve`` with the write key, and the checks these tests make on it."""

    def __init__(self, data: Path, log: Path) -> None:
        super().__init__(data, log, env={"MARJA_API_KEYS": KEY})
        self.start()

    @property
    def data(self) -> Path:
        return self.data_dir

    def wait(self, timeout: float = GRACE_S + 15) -> int:
        """The exit status; fails if the process is still there well after the grace period."""
        try:
            return super().wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"marja serve still running {timeout:.0f} s after SIGTERM:\n{self.log_tail()}")

    def health(self) -> dict:
        r = httpx.get(self.url + "/health", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def data(_default_index: Path, tmp_path: Path, default_embedder: Embedder) -> Path:
    target = tmp_path / "live"
    shutil.copytree(_default_index, target)
    on_backend_under_test(target, default_embedder)
    return target


@pytest.fixture
def server(data: Path, tmp_path: Path) -> Iterator[Server]:
    s = Server(data, tmp_path / "serve.log")
    yield s
    s.kill()


def _assert_index_whole(data: Path, log: Path, embedder: Embedder, *, version: str, documents: int) -> None:
    """A restarted server and a fresh in-process collection both serve ``version`` completely."""
    restarted = Server(data, log)
    try:
        health = restarted.health()
        assert (health["version"], health["documents"]) == (version, documents)
        r = httpx.post(
            restarted.url + "/ask", json={"question": "Where was the 2017 meeting held?"}, timeout=60
        )
        assert r.status_code == 200 and r.json()["passages"], r.text
    finally:
        restarted.kill()
    collection = open_collection(data, embedder)
    assert collection.snapshot().version == version
    assert len(collection.documents()) == documents


def _question(i: int, n: int) -> str:
    """A question no one asked before (so it is embedded), about 40 model tokens long."""
    return f"Which regional organizations met in meeting {i}.{n} on mediation, and who chaired session {n}?"


def test_sigterm_lets_in_flight_questions_finish(server: Server, default_embedder: Embedder) -> None:
    before = server.health()
    stop = threading.Event()

    def ask(i: int) -> list[tuple[float, float, int | str]]:
        """Questions back to back until told to stop: (sent, answered, status) for each."""
        out: list[tuple[float, float, int | str]] = []
        n = 0
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                n += 1
                t0 = time.monotonic()
                try:
                    status: int | str = client.post(
                        server.url + "/ask", json={"question": _question(i, n), "top_k": 50}
                    ).status_code
                except httpx.HTTPError as e:
                    status = type(e).__name__
                out.append((t0, time.monotonic(), status))
        return out

    with ThreadPoolExecutor(12) as pool:
        futures: list[Future[list[tuple[float, float, int | str]]]] = [pool.submit(ask, i) for i in range(12)]
        time.sleep(1.5)  # twelve clients keep the server busy: questions are always in flight
        sent = server.terminate()
        stop.set()
        requests = [r for f in futures for r in f.result()]
    status = server.wait()
    exited = time.monotonic()

    # Every question sent well before SIGTERM is answered; ones sent as it arrives may be refused.
    settled = [r for r in requests if r[0] < sent - 0.05]
    assert settled and all(code == 200 for _, _, code in settled), settled
    assert any(answered > sent for _, answered, _ in settled), "no request was still in flight at SIGTERM"
    assert exited - sent < GRACE_S
    assert status == 0, server.log.read_text()[-3000:]
    assert "Finished server process" in server.log.read_text()
    _assert_index_whole(
        server.data, server.log, default_embedder, version=before["version"], documents=before["documents"]
    )


def test_sigterm_exit_status_is_zero(server: Server) -> None:
    server.terminate()
    assert server.wait() == 0


def _long_document() -> dict[str, str]:
    paragraphs = [
        f"In {2000 + p} the regional office held its coordination meeting number {p} in Amman. "
        f"Delegates from {p + 3} organizations discussed mediation and early warning. "
        f"The meeting ended with a statement on conflict prevention in region {p}."
        for p in range(16)
    ]
    return {
        "doc_id": "shutdown-notes",
        "title": "Shutdown notes",
        "text": "\n\n".join(paragraphs),
        "lang": "en",
    }


def test_sigterm_during_an_ingest_never_breaks_the_index(server: Server, default_embedder: Embedder) -> None:
    before = server.health()
    answered_at: list[float] = []

    def post() -> int | str:
        try:
            r = httpx.post(
                server.url + "/documents", json=_long_document(), headers={"X-API-Key": KEY}, timeout=120
            )
        except httpx.HTTPError as e:  # the connection closed before an answer
            return type(e).__name__
        finally:
            answered_at.append(time.monotonic())
        return r.status_code

    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(post)
        time.sleep(0.5)  # the ingest is embedding: dozens of chunks and sentences, seconds of work
        sent = server.terminate()
        result = outcome.result()
    server.wait()
    assert answered_at[0] > sent, "the ingest was over before SIGTERM"

    collection = open_collection(server.data, default_embedder)
    version = collection.snapshot().version
    ids = {d.doc_id for d in collection.documents()}
    if result == 201:  # finished inside the grace period: published and durable
        assert version != before["version"] and "shutdown-notes" in ids
        documents = before["documents"] + 1
    else:  # cut off at the end of the grace period: the connection closed, or uvicorn answered 500
        assert isinstance(result, str) or result == 500, f"the ingest answered {result}"
        assert version == before["version"] and "shutdown-notes" not in ids
        documents = before["documents"]
    assert version is not None
    _assert_index_whole(server.data, server.log, default_embedder, version=version, documents=documents)
