"""`marja watch`: real file-system events (watchfiles) drive debounced syncs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchfiles import Change

from index.builder import IngestReport
from index.collection import Collection
from service.watch import _Relevant, watch_folders


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def watching(collection: Collection, tmp_path: Path) -> Iterator[tuple[Path, list[IngestReport]]]:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "djibouti.md").write_text("In 2017 the meeting was held in Djibouti.\n", encoding="utf-8")
    reports: list[IngestReport] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_folders,
        args=(collection, [folder]),
        kwargs={
            "max_bytes": 1 << 20,
            "on_sync": lambda report, errors: reports.append(report),
            "debounce_ms": 200,
            "stop": stop,
        },
    )
    thread.start()
    try:
        wait_for(lambda: len(reports) == 1)  # the first sync, before watching
        yield folder, reports
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_new_changed_and_deleted_files_are_synced(
    watching: tuple[Path, list[IngestReport]], collection: Collection
) -> None:
    folder, reports = watching
    assert reports[0].added == ["djibouti"]

    (folder / "nairobi.md").write_text("In 2018 a workshop took place in Nairobi.\n", encoding="utf-8")
    wait_for(lambda: any("nairobi" in r.added for r in reports))
    assert (
        collection.ask("Where did the workshop take place?", top_k=1).hits[0].stored.chunk.doc_id == "nairobi"
    )

    (folder / "nairobi.md").unlink()
    wait_for(lambda: any("nairobi" in r.removed for r in reports))
    assert {d.doc_id for d in collection.documents()} == {"djibouti"}


def test_only_changes_a_sync_reads_count(tmp_path: Path) -> None:
    relevant = _Relevant([tmp_path])
    assert relevant(Change.added, str(tmp_path / "a.md"))
    assert relevant(Change.deleted, str(tmp_path / "sub"))  # a folder may have held documents
    assert not relevant(Change.modified, str(tmp_path / "a.md.swp"))
    assert not relevant(Change.added, str(tmp_path / "questions.jsonl"))
    assert not relevant(Change.added, str(tmp_path / ".drafts" / "a.md"))
    assert not relevant(Change.added, str(tmp_path / ".git" / "index"))
