"""One writer at a time across every replica that shares a Milvus: a lease held through an alias.

Milvus has no locks, but creating an alias that exists fails, atomically. A writer creates a
small collection of its own (``{prefix}_lock_<random>``) holding a heartbeat row it rewrites
every ``BEAT_S`` seconds, then tries to point the alias ``{prefix}_writer`` at it: whoever
succeeds holds the lease until it drops the alias. A writer that dies (``kill -9``, a lost
machine) stops beating; another writer that sees the same heartbeat for ``STALE_S`` seconds of
its own clock (no clock needs to agree with another's) removes the alias and the dead writer's
collection, and tries again.

The store also checks, just before it publishes, that nobody published since it started
(:meth:`index.milvus.store.MilvusStore.write`): a lease broken by mistake costs a retry, never a
lost update.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Any

from core.errors import IndexBusy
from index.milvus.client import errors
from index.milvus.schema import create_parts, lock_name, writer_alias

logger = logging.getLogger(__name__)

BEAT_S = 5.0
STALE_S = 60.0
POLL_S = 0.25
HOLDER = "holder"


def alias_target(client: Any, alias: str) -> str | None:
    """The collection ``alias`` names, or None (asked without provoking an error when it is absent)."""
    if alias not in client.list_aliases().get("aliases", []):
        return None
    try:
        return str(client.describe_alias(alias)["collection_name"])
    except Exception:  # dropped between the two calls
        return None


class MilvusLease:
    """The writer lease of the index ``prefix`` (use as a context manager)."""

    def __init__(self, client: Any, *, uri: str, prefix: str, timeout: float) -> None:
        self._client = client
        self._uri = uri
        self._alias = writer_alias(prefix)
        self._own = lock_name(prefix)
        self._timeout = timeout
        self._stop = threading.Event()
        self._beats: threading.Thread | None = None
        self._seen: tuple[str, str, float] | None = None  # (holder, its last beat, when we saw it change)

    def __enter__(self) -> MilvusLease:
        with errors(self._uri, "taking the writer lease"):
            create_parts(self._client, self._own)
            self._beat()
            try:
                self._acquire()
            except BaseException:
                self._client.drop_collection(self._own)
                raise
        self._beats = threading.Thread(target=self._keep_beating, name="milvus-lease", daemon=True)
        self._beats.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beats is not None:
            self._beats.join()
        with errors(self._uri, "releasing the writer lease"):
            if alias_target(self._client, self._alias) == self._own:
                self._client.drop_alias(self._alias)
            self._client.drop_collection(self._own)

    def _acquire(self) -> None:
        deadline = time.monotonic() + self._timeout
        while True:
            holder = alias_target(self._client, self._alias)
            if holder is None:
                try:
                    self._client.create_alias(self._own, self._alias)
                    return
                except Exception as e:  # another writer won the race
                    logger.debug("writer lease taken by another writer first: %s", e)
            elif self._is_stale(holder):
                logger.warning("breaking the writer lease of %s: no heartbeat for %.0f s", holder, STALE_S)
                if alias_target(self._client, self._alias) == holder:
                    self._client.drop_alias(self._alias)
                    if self._client.has_collection(holder):
                        self._client.drop_collection(holder)
                continue
            if time.monotonic() >= deadline:
                raise IndexBusy(
                    f"another ingest is running (waited {self._timeout:.0f} s for the index's writer "
                    "lease in Milvus); try later"
                )
            time.sleep(POLL_S)

    def _is_stale(self, holder: str) -> bool:
        beat = self._beat_of(holder)
        if _died_here(beat):
            return True
        now = time.monotonic()
        if self._seen is None or self._seen[:2] != (holder, beat):
            self._seen = (holder, beat, now)
            return False
        return now - self._seen[2] >= STALE_S

    def _beat_of(self, holder: str) -> str:
        try:
            rows = self._client.query(
                holder, filter=f'owner == "{HOLDER}"', output_fields=["payload"], limit=1
            )
        except Exception:  # the holder's collection is gone: its beat never changes again
            return ""
        return str(rows[0]["payload"]) if rows else ""

    def _beat(self) -> None:
        """Rewrite the heartbeat: who holds the lease, and when it last said so."""
        payload = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()})
        self._client.upsert(
            self._own,
            [
                {
                    "key": HOLDER,
                    "owner": HOLDER,
                    "stream": "beat",
                    "part": 0,
                    "payload": payload,
                    "pad": [1.0, 0.0],
                }
            ],
        )

    def _keep_beating(self) -> None:
        while not self._stop.wait(BEAT_S):
            try:
                self._beat()
            except Exception as e:  # the next beat may get through; a missed one is not fatal
                logger.warning("writer lease heartbeat failed: %s", e)


def _died_here(beat: str) -> bool:
    """Whether the heartbeat is of a process on this machine that no longer runs: its lease can
    be broken at once instead of after ``STALE_S``."""
    try:
        holder = json.loads(beat)
        if holder["host"] != socket.gethostname():
            return False
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, KeyError, TypeError, OSError):
        return False
    return False
