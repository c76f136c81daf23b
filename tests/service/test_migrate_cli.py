"""``marja migrate``: what it refuses before touching anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli import main


def test_migrate_needs_a_milvus_uri(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("MARJA_BACKEND", "local")
    monkeypatch.delenv("MARJA_MILVUS_URI", raising=False)
    assert main(["migrate", "--to", "milvus"]) == 2
    assert "needs MARJA_MILVUS_URI" in capsys.readouterr().err
    assert not (tmp_path / "data" / "index").exists()


def test_migrating_an_empty_index_says_so(
    milvus_uri: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARJA_BACKEND", "local")
    monkeypatch.setenv("MARJA_MILVUS_URI", milvus_uri)
    monkeypatch.setenv("MARJA_MILVUS_COLLECTION", "empty_migration")
    assert main(["migrate", "--to", "milvus"]) == 1
    err = capsys.readouterr().err
    assert "nothing to migrate" in err and "has no published version" in err, err


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MARJA_MILVUS_URI", "ftp://milvus:19530"), ("MARJA_MILVUS_COLLECTION", "1bad-name")],
)
def test_a_bad_milvus_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["migrate", "--to", "milvus"]) == 2
    assert f"invalid setting {variable}" in capsys.readouterr().err
