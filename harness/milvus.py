"""A real Milvus for tests and benchmarks: ``milvus-lite server`` on loopback.

milvus-lite serves one data directory from one process; as a gRPC server on a port it takes any
number of clients, as a Milvus server does (``MARJA_MILVUS_URI=http://127.0.0.1:PORT``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from harness.live import free_port


class MilvusLiteServer:
    """``milvus-lite server`` over ``data_dir`` on a free port; its output goes to ``log``."""

    def __init__(self, data_dir: Path, log: Path, *, startup_timeout: float = 60.0) -> None:
        self.data_dir, self.log = data_dir, log
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MilvusLiteServer:
        executable = shutil.which("milvus-lite", path=str(Path(sys.executable).parent)) or "milvus-lite"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    executable,
                    "server",
                    *("--data-dir", str(self.data_dir)),
                    *("--host", "127.0.0.1", "--port", str(self.port)),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"milvus-lite server exited with {code}: see {self.log}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"milvus-lite server did not listen within {self.startup_timeout:.0f} s: see {self.log}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> MilvusLiteServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def drop_index(client: Any, prefix: str) -> None:
    """Drop every alias and collection of the index ``prefix`` (a test's leftovers)."""
    for alias in client.list_aliases().get("aliases", []):
        if alias == prefix or alias.startswith(prefix + "_"):
            client.drop_alias(alias)
    for name in client.list_collections():
        if name.startswith(prefix + "_"):
            client.drop_collection(name)
