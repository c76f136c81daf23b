"""Fixtures of the service tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.embedders.base import Embedder
from tests.conftest import on_backend_under_test


@pytest.fixture
def data_dir(
    _default_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_embedder: Embedder
) -> Path:
    """A copy of the session's real default index, named by MARJA_DATA_DIR (for the CLI); on
    Milvus, copied into the test's index there."""
    data = tmp_path / "cli-data"
    shutil.copytree(_default_index, data)
    on_backend_under_test(data, default_embedder)
    monkeypatch.setenv("MARJA_DATA_DIR", str(data))
    return data
