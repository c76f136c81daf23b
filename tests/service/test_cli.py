"""The `marja` command, run in-process against a copy of the real default index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main

pytestmark = pytest.mark.model


def test_ask_json_has_the_api_shape(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", "--top-k", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lang"] == "ar" and len(out["passages"]) == 2
    top = out["passages"][0]
    assert {"doc_id", "title", "start", "end", "source_url"} <= set(top["citation"])
    assert top["highlights"]


def test_ask_says_when_no_passage_answers(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "What is the capital of Japan?", "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No passage answers this question.")
    assert "[1]" in out and "[2]" in out  # the nearest passages, below
    assert main(["ask", "What is the capital of Japan?", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["answered"] is False and body["reason"] == "no passage is close enough" and body["passages"]

    assert main(["ask", "Which organizations attended the meeting in 2017?", "--top-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "No passage answers" not in out and "confidence" in out
    assert main(["ask", "Which organizations attended the meeting in 2017?", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["answered"] is True and body["reason"] is None
    assert 0.0 <= body["passages"][0]["confidence"] <= 1.0


def test_data_dir_flag_overrides_the_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARJA_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["ls", "--data-dir", str(data_dir)]) == 0
    assert "un-regional-organizations" in capsys.readouterr().out


def test_ingest_is_incremental_and_reports_bad_files(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    (folder / "2025-brief.md").write_text(
        "---\ntitle: 2025 brief\nkind: summary\n---\n\nIn 2025 the eighth meeting was held in Amman.\n",
        encoding="utf-8",
    )
    (folder / "broken.txt").write_bytes("نص".encode("cp1256"))
    assert main(["ingest", str(folder)]) == 1  # one bad file: reported, the rest ingested
    captured = capsys.readouterr()
    assert "1 added" in captured.out and "broken.txt" in captured.err and "UTF-8" in captured.err

    assert main(["ingest", str(folder / "2025-brief.md")]) == 0
    assert "0 added, 0 replaced, 0 removed, 1 unchanged" in capsys.readouterr().out

    assert main(["ask", "Where was the eighth meeting held?", "--top-k", "1"]) == 0
    assert "Amman" in capsys.readouterr().out

    assert main(["rm", "2025-brief"]) == 0
    assert main(["ls"]) == 0
    assert "2025-brief" not in capsys.readouterr().out


def test_sync_removes_what_was_deleted_and_dry_run_writes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    (folder / "2025-brief.md").write_text("In 2025 the eighth meeting was held in Amman.\n", encoding="utf-8")
    (folder / "2026-brief.md").write_text("In 2026 a workshop was held in Tunis.\n", encoding="utf-8")
    assert main(["ingest", "--sync", str(folder)]) == 0
    assert "2 added, 0 replaced, 0 removed, 0 unchanged" in capsys.readouterr().out  # the corpus stays
    assert main(["ask", "Where was the eighth meeting held?", "--top-k", "1"]) == 0
    assert "Amman" in capsys.readouterr().out

    (folder / "2025-brief.md").unlink()
    assert main(["ingest", "--sync", "--dry-run", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "remove   2025-brief\t2025-brief.md" in out
    assert "dry run: 0 added, 0 replaced, 1 removed, 1 unchanged; nothing written" in out
    assert main(["ls"]) == 0
    assert "2025-brief" in capsys.readouterr().out

    assert main(["ingest", "--sync", str(folder)]) == 0
    assert "0 added, 0 replaced, 1 removed, 1 unchanged" in capsys.readouterr().out
    assert main(["ask", "Where was the eighth meeting held?", "--top-k", "3", "--json"]) == 0
    passages = json.loads(capsys.readouterr().out)["passages"]
    assert all(p["citation"]["doc_id"] != "2025-brief" for p in passages)
    assert main(["ls"]) == 0
    listing = capsys.readouterr().out
    assert "2025-brief" not in listing and "2026-brief.md" in listing
    assert "un-regional-organizations" in listing  # documents from elsewhere are never removed


def test_missing_path_and_unknown_document_are_clear_errors(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", "/no/such/file.md"]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["rm", "no-such-doc"]) == 1
    assert "no-such-doc" in capsys.readouterr().err


def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MARJA_HNSW_THRESHOLD", "many")
    assert main(["ls"]) == 2
    assert "MARJA_HNSW_THRESHOLD" in capsys.readouterr().err


def test_ask_json_is_what_the_api_returns(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One presenter: `marja ask --json` prints the body of POST /ask (but for the time taken)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    question = "Which organizations attended the meeting in 2017?"
    assert main(["ask", question, "--top-k", "3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with TestClient(create_app(Settings(data_dir=data_dir, rate_limit="off"))) as client:
        served = client.post("/ask", json={"question": question, "top_k": 3}).json()
    assert printed.pop("took_ms") >= 0 and served.pop("took_ms") >= 0
    assert printed == served


def test_ls_json_is_what_the_api_returns(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    assert main(["ls", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with TestClient(create_app(Settings(data_dir=data_dir, rate_limit="off"))) as client:
        served = client.get("/documents").json()
    assert printed == served
    assert {d["doc_id"] for d in printed["documents"]} >= {"un-regional-organizations"}
    assert all("chunks" in d and "chunk_count" not in d for d in printed["documents"])
