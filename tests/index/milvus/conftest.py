"""Fixtures of the Milvus backend's own tests: they run whatever MARJA_BACKEND says, against the
session's milvus-lite server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from index.backends.factory import BackendConfig
from tests.conftest import milvus_client


@pytest.fixture
def milvus(milvus_uri: str) -> Iterator[BackendConfig]:
    """A fresh index in the session's Milvus, dropped afterwards."""
    from harness.milvus import drop_index

    prefix = f"m{uuid.uuid4().hex[:16]}"
    yield BackendConfig(kind="milvus", milvus_uri=milvus_uri, milvus_prefix=prefix)
    drop_index(milvus_client(milvus_uri), prefix)
