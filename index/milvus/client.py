"""One connection per Milvus, shared by a process; Milvus's failures as marja's errors.

``uri`` is a Milvus server (``http://host:19530``, ``https://…`` with a token) or a file path
ending in ``.db``, served by milvus-lite inside this process (one process per file: to share a
milvus-lite index between processes, run ``milvus-lite server`` and give its ``http://`` URI).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from core.errors import IndexUnavailable

logger = logging.getLogger(__name__)

ID_BATCH = 1_000
"""Ids per ``id in [...]`` expression."""
ITERATOR_BATCH = 1_000
"""Rows per page when reading a whole collection."""

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def shown_uri(uri: str) -> str:
    """``uri`` without credentials, for messages and logs."""
    parts = urlsplit(uri)
    if parts.scheme and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
    return uri


def client_for(uri: str, token: str = "") -> Any:
    """The process's client of ``uri`` (a ``pymilvus.MilvusClient``, thread-safe)."""
    key = (uri, token)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError as e:  # an optional backend
                raise IndexUnavailable(
                    "the Milvus backend needs pymilvus: pip install 'marja[milvus]'"
                ) from e
            _route_pymilvus_logs()
            with errors(uri, "connecting"):
                client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
            _clients[key] = client
            logger.info("connected to Milvus at %s", shown_uri(uri))
        return client


def _route_pymilvus_logs() -> None:
    """Send pymilvus's log records through marja's logging (its format, JSON or text) instead of
    the console handlers pymilvus installs for itself on import."""
    for name in ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer"):
        log = logging.getLogger(name)
        for handler in list(log.handlers):
            log.removeHandler(handler)
        log.propagate = True
    # Each read of a whole collection warns that milvus-lite gives no MVCC timestamp and the
    # client's is used: true of every milvus-lite read, and harmless (versions never change).
    logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)


@contextlib.contextmanager
def errors(uri: str, action: str) -> Iterator[None]:
    """Turn a failure of Milvus (unreachable, refused, a collection gone) into
    :class:`IndexUnavailable`, naming ``action``."""
    try:
        yield
    except IndexUnavailable:
        raise
    except Exception as e:
        from pymilvus.exceptions import MilvusException

        if not isinstance(e, MilvusException | ConnectionError | TimeoutError):
            raise
        message = getattr(e, "message", "") or str(e)
        logger.error("Milvus at %s: %s failed: %s", shown_uri(uri), action, message)
        raise IndexUnavailable(
            f"the index in Milvus ({shown_uri(uri)}) failed while {action}: {message}"
        ) from e


def int_list(ids: Sequence[int]) -> str:
    """A Milvus list literal of integers (each converted: nothing else can enter the expression)."""
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


MAX_QUERY_ROWS = 16_384
"""The most rows one Milvus query returns."""


def query_by_ids(
    client: Any, collection: str, ids: Sequence[int], *, field: str, output_fields: list[str]
) -> list[dict[str, Any]]:
    """The rows whose ``field`` is one of ``ids``, in batches (``field`` need not be unique)."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), ID_BATCH):
        expression = f"{field} in {int_list(ids[start : start + ID_BATCH])}"
        found = client.query(collection, filter=expression, output_fields=output_fields, limit=MAX_QUERY_ROWS)
        if len(found) >= MAX_QUERY_ROWS:  # more rows than one query returns: page through them
            found = list(query_all(client, collection, filter=expression, output_fields=output_fields))
        rows.extend(found)
    return rows


def query_all(
    client: Any, collection: str, *, filter: str, output_fields: list[str]
) -> Iterator[dict[str, Any]]:
    """Every row matching ``filter``, page by page (a query alone returns at most 16,384)."""
    iterator = client.query_iterator(
        collection, batch_size=ITERATOR_BATCH, filter=filter, output_fields=output_fields
    )
    try:
        while True:
            page = iterator.next()
            if not page:
                return
            yield from page
    finally:
        iterator.close()
