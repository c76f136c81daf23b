"""Fixtures of the service tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def data_dir(_default_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's real default index, named by MARJA_DATA_DIR (for the CLI)."""
    data = tmp_path / "cli-data"
    shutil.copytree(_default_index, data)
    monkeypatch.setenv("MARJA_DATA_DIR", str(data))
    return data
