"""`marja serve` itself (uvicorn, h11, real sockets): proxy headers, header sizes, disconnects, logs."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.live import LiveServer, marja_serve
from index.embedders.base import Embedder
from tests.conftest import on_backend_under_test

pytestmark = pytest.mark.model

KEY = "live-limits-key-0123456789"
QUESTION = {"question": "Where was the 2017 meeting held?", "top_k": 1}


def _copy(index: Path, tmp_path: Path, name: str, embedder: Embedder) -> Path:
    data = tmp_path / name
    shutil.copytree(index, data)
    on_backend_under_test(data, embedder)
    return data


@pytest.fixture
def server(_default_index: Path, tmp_path: Path, default_embedder: Embedder) -> Iterator[LiveServer]:
    """Rate limit 1/minute on /ask, JSON logs, writes enabled."""
    data = _copy(_default_index, tmp_path, "live", default_embedder)
    env = {"MARJA_API_KEYS": KEY, "MARJA_RATE_LIMIT": "1/minute", "MARJA_LOG_FORMAT": "json"}
    s = LiveServer(data, tmp_path / "serve.log", env=env).start()
    yield s
    s.kill()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_request(port: int, head: bytes, body: bytes = b"", *, read: bool = True) -> bytes:
    """Send bytes as they are; return what the server answered (empty if it hung up)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + body)
        if not read:
            return b""
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def test_x_forwarded_for_is_not_trusted_by_default(server: LiveServer) -> None:
    """Two 'clients' that only differ by a forged X-Forwarded-For share the loopback's budget."""
    first = httpx.post(
        server.url + "/ask", json=QUESTION, headers={"X-Forwarded-For": "198.51.100.1"}, timeout=60
    )
    second = httpx.post(
        server.url + "/ask", json=QUESTION, headers={"X-Forwarded-For": "198.51.100.2"}, timeout=60
    )
    assert (first.status_code, second.status_code) == (200, 429)


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    _default_index: Path, tmp_path: Path, default_embedder: Embedder
) -> None:
    data = _copy(_default_index, tmp_path, "proxied", default_embedder)
    command = lambda port: [*marja_serve(port), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]  # noqa: E731
    with LiveServer(
        data, tmp_path / "proxied.log", env={"MARJA_RATE_LIMIT": "1/minute"}, command=command
    ) as s:
        codes = [
            httpx.post(s.url + "/ask", json=QUESTION, headers={"X-Forwarded-For": ip}, timeout=60).status_code
            for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.1")
        ]
    assert codes == [200, 200, 429]


def test_huge_headers_are_refused_before_they_are_buffered(server: LiveServer) -> None:
    """100 requests with 4 MB keys added 359 MB of RSS that stayed; now the parser stops at the cap."""
    assert server.proc is not None
    before = rss_kb(server.proc.pid)
    big_key = b"k" * (4 * 1024 * 1024)
    for _ in range(25):
        answer = raw_request(
            server.port,
            b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-API-Key: "
            + big_key
            + b"\r\n"
            b"Content-Length: 2\r\n\r\n",
            b"{}",
        )
        assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), answer[:200]
    grown_mb = (rss_kb(server.proc.pid) - before) / 1024
    assert grown_mb < 40, f"RSS grew by {grown_mb:.0f} MB"
    assert httpx.get(server.url + "/health", timeout=30).status_code == 200


def test_a_client_that_disconnects_cancels_its_ingest(server: LiveServer) -> None:
    paragraphs = "\n\n".join(
        f"Paragraph {i}: the regional organizations met again to review mediation support, early warning "
        f"and the standby team of experts, and agreed on point {i} of the joint plan for the year {2000 + i % 30}."
        for i in range(600)
    )
    body = json.dumps({"title": "Very long minutes", "text": paragraphs, "lang": "en"}).encode()
    head = (
        f"POST /documents HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    raw_request(server.port, head, body, read=False)  # hang up without waiting for the answer
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and '"status": 499' not in server.log_tail(20_000):
        time.sleep(0.5)
    assert '"status": 499' in server.log_tail(20_000), server.log_tail()
    assert "the client disconnected; the ingest was abandoned" in server.log_tail(20_000)
    ids = {d["doc_id"] for d in httpx.get(server.url + "/documents", timeout=30).json()["documents"]}
    assert "very-long-minutes" not in ids


def test_every_log_line_is_json_and_each_request_has_one(server: LiveServer) -> None:
    r = httpx.get(
        server.url + "/documents/no-such-document", headers={"X-Request-ID": "trace-42"}, timeout=30
    )
    assert r.status_code == 404 and r.headers["x-request-id"] == "trace-42"
    time.sleep(0.5)
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.strip()]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's lines too
    mine = [line for line in lines if line.get("request_id") == "trace-42"]
    assert [line["logger"] for line in mine] == ["service.errors", "marja.request"]
    assert mine[-1]["status"] == 404 and mine[-1]["route"] == "/documents/{doc_id}"
