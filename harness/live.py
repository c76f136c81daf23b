"""A real `marja serve` process on loopback, for tests and benchmarks that need one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def marja_serve(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "service.cli",
        "serve",
        "--no-ingest",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


class LiveServer:
    """``marja serve --no-ingest`` over ``data_dir`` on a free port (or ``command(port)``).

    Its output goes to ``log`` (a file: a full pipe would stall the server). The rate limit is
    off unless ``env`` says otherwise. Use as a context manager, or call :meth:`start`/:meth:`stop`.
    """

    def __init__(
        self,
        data_dir: Path,
        log: Path,
        *,
        env: Mapping[str, str] | None = None,
        command: Callable[[int], list[str]] = marja_serve,
        startup_timeout: float = 120.0,
    ) -> None:
        self.data_dir, self.log = data_dir, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "MARJA_DATA_DIR": str(data_dir),
            "MARJA_RATE_LIMIT": "off",
            "HF_HUB_OFFLINE": "1",
            **(env or {}),
        }
        self._command = command
        self._startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def start(self) -> LiveServer:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self._command(self.port), cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"marja serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise TimeoutError(f"marja serve did not become healthy:\n{self.log_tail()}")

    def terminate(self) -> float:
        """Send SIGTERM; returns when it was sent (``time.monotonic()``)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return time.monotonic()

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self, grace: float = 40.0) -> None:
        """SIGTERM, then SIGKILL if it is still running after ``grace`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.terminate()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
