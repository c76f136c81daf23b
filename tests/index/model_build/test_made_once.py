"""Building a model directory once, atomically (no model needed: the builds are tiny)."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from index.model_build.made_once import MARKER_NAME, make_once

IDENTITY = {"format_version": 1, "source_sha256": "abc"}


def _contents(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def _write(text: str):
    def build(tmp: Path) -> None:
        (tmp / "weights.bin").write_text(text)

    return build


def test_builds_once_then_reuses(tmp_path: Path) -> None:
    calls: list[Path] = []

    def build(tmp: Path) -> None:
        calls.append(tmp)
        (tmp / "weights.bin").write_text("w")

    out = make_once(tmp_path / "m", IDENTITY, build, what="m", details={"source": "here"})
    assert make_once(tmp_path / "m", IDENTITY, build, what="m") == out
    assert len(calls) == 1 and calls[0].name.endswith(".partial")
    marker = json.loads((out / MARKER_NAME).read_text())
    assert marker == {**IDENTITY, "source": "here"}
    assert _contents(tmp_path) == ["m"]


def test_a_changed_identity_rebuilds_and_replaces(tmp_path: Path) -> None:
    make_once(tmp_path / "m", IDENTITY, _write("old"), what="m")
    out = make_once(tmp_path / "m", {**IDENTITY, "format_version": 2}, _write("new"), what="m")
    assert (out / "weights.bin").read_text() == "new"
    assert _contents(tmp_path) == ["m"]


def test_a_directory_without_marker_is_never_used(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "weights.bin").write_text("half-written")
    out = make_once(tmp_path / "m", IDENTITY, _write("whole"), what="m")
    assert (out / "weights.bin").read_text() == "whole"


def test_leftovers_of_dead_builds_are_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for leftover in (".m.123-ab.partial", ".m.456-cd.stale"):
        (tmp_path / leftover).mkdir()
        (tmp_path / leftover / "weights.bin").write_text("x")
    (tmp_path / ".other.1-aa.partial").mkdir()  # another model's: left alone
    with caplog.at_level(logging.INFO):
        make_once(tmp_path / "m", IDENTITY, _write("w"), what="m")
    assert _contents(tmp_path) == [".other.1-aa.partial", "m"]
    assert "removed 2 unfinished build(s)" in caplog.text


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_build_keeps_nothing_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, error: type[BaseException]
) -> None:
    def build(tmp: Path) -> None:
        (tmp / "weights.bin").write_text("half")
        raise error("stop")

    with caplog.at_level(logging.ERROR), pytest.raises(error):
        make_once(tmp_path / "m", IDENTITY, build, what="the model")
    assert _contents(tmp_path) == []
    assert "the unfinished directory was removed" in caplog.text
    assert ("interrupted" in caplog.text) == (error is KeyboardInterrupt)
    assert (make_once(tmp_path / "m", IDENTITY, _write("w"), what="m") / MARKER_NAME).exists()


def test_concurrent_builders_build_once(tmp_path: Path) -> None:
    calls = []

    def slow(tmp: Path) -> None:
        calls.append(tmp)
        time.sleep(0.3)
        (tmp / "weights.bin").write_text("w")

    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(make_once(tmp_path / "m", IDENTITY, slow, what="m")))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and results == [tmp_path / "m"] * 3
