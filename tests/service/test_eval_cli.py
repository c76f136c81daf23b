"""`marja eval` with the real default model on the bundled corpus and question set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.cli import main

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "corpus" / "questions.jsonl"


def test_the_bundled_set_meets_its_floor_and_writes_a_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    args = ["eval", str(BUNDLED), "--json", "--report", str(page), "--min-recall-at-1", "0.9"]
    assert main([*args, "--min-recall-at-5", "0.95"]) == 0
    report = json.loads(capsys.readouterr().out)
    run = report["run"]
    assert run["questions"] == 142 and run["unanswerable"] == 74 and run["version"] == "v000001"
    assert run["answered_rate"] >= 0.95 and run["abstained_rate"] >= 0.9
    assert set(run["by_lang"]) == {"ar", "en"}
    for scores in run["by_lang"].values():
        assert scores["questions"] == 34 and scores["recall"]["1"] >= 0.9 and scores["recall"]["10"] == 1.0
    assert run["latency_p95_ms"] >= run["latency_p50_ms"] > 0
    assert report["passed"] and [t["metric"] for t in report["thresholds"]] == ["recall@1", "recall@5"]
    html = page.read_text(encoding="utf-8")
    assert (
        html.startswith("<!doctype html>")
        and "<svg" in html
        and "http" not in html.replace(run["data_dir"], "")
    )


def test_thresholds_set_the_exit_code(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "two.csv"
    questions.write_text(
        "id,question,text,year\n"
        "hit,Who hosted the meeting in Djibouti?,,2017\n"
        "miss,Who hosted the meeting in Djibouti?,a phrase no passage contains,\n",
        encoding="utf-8",
    )
    assert main(["eval", str(questions), "--min-recall-at-1", "0.5"]) == 0
    assert main(["eval", str(questions), "--min-recall-at-1", "0.6"]) == 1
    out = capsys.readouterr().out
    assert "recall@1 0.500 (minimum 0.600): BELOW" in out
    assert "[miss] en rank -" in out  # the misses table names it
    assert main(["eval", str(questions), "--min-recall-at-5", "0.5", "--top-k", "3"]) == 1  # not measured
    assert "not measured" in capsys.readouterr().out


@pytest.mark.local_files
def test_compare_shows_what_another_index_lost(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "without-summaries"
    shutil.copytree(data_dir, other)
    assert main(["ls", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)["documents"]
    summaries = [d["doc_id"] for d in listing if d["kind"] == "summary"]
    assert len(summaries) == 6
    assert main(["rm", "--data-dir", str(other), *summaries]) == 0
    capsys.readouterr()
    assert main(["eval", str(BUNDLED), "--json", "--compare", str(other)]) == 0
    comparison = json.loads(capsys.readouterr().out)["comparison"]
    counts = comparison["counts"]
    assert sum(counts.values()) == 68 and counts["gained"] == 0
    assert counts["worse"] + counts["lost"] >= 1
    assert comparison["other"]["documents"] == 1
    assert all(c["status"] in ("worse", "lost") and c["before"] == 1 for c in comparison["changes"])
    assert main(["eval", str(BUNDLED), "--compare", str(tmp_path / "nowhere")]) == 2


def test_a_bad_question_set_names_the_row(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok", "year": 2017}\n{"question": "q", "doc-id": "x"}\n', encoding="utf-8")
    assert main(["eval", str(bad)]) == 1
    assert "bad.jsonl: line 2: unknown field 'doc-id'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["eval", str(bad), "--top-k", "0"])
    assert e.value.code == 2
