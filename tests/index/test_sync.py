"""Folder sync through the collection: removals, renames, API documents, dry runs, crashes."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.document import Document, Origin
from index.collection import Collection
from index.local_version import CATALOG
from ingest.folders import scan
from tests.conftest import open_collection, unpublished
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]

NOTES = {
    "djibouti.md": "# Djibouti meeting\n\nIn 2017 the fifth meeting was held in Djibouti, hosted by IGAD.\n",
    "nairobi.md": "# Nairobi workshop\n\nIn 2018 a workshop on mediation support took place in Nairobi.\n",
    "brussels.md": "# Brussels meeting\n\nIn 2019 the sixth meeting in Brussels discussed climate and security.\n",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    return notes


def sync(collection: Collection, *folders: Path, remove_missing: bool = True):  # type: ignore[no-untyped-def]
    return collection.sync(scan(list(folders), max_bytes=1 << 20), remove_missing=remove_missing)


def doc_ids(collection: Collection) -> set[str]:
    return {d.doc_id for d in collection.documents()}


def test_a_deleted_file_is_removed_and_its_question_no_longer_finds_it(
    collection: Collection, folder: Path
) -> None:
    first = sync(collection, folder)
    assert sorted(first.added) == ["brussels", "djibouti", "nairobi"]
    question = "Where did the 2018 workshop on mediation support take place?"
    assert collection.ask(question, top_k=1).hits[0].stored.chunk.doc_id == "nairobi"

    (folder / "nairobi.md").unlink()
    report = sync(collection, folder)
    assert (report.added, report.replaced, report.removed) == ([], [], ["nairobi"])
    assert sorted(report.unchanged) == ["brussels", "djibouti"]
    assert report.version == "v000002"  # removals and the rest in one new version
    hits = collection.ask(question, top_k=10).hits
    assert hits and all(h.stored.chunk.doc_id != "nairobi" for h in hits)
    snapshot = collection.snapshot()
    assert len(snapshot.dense) == len(snapshot.lexical) == snapshot.manifest.chunks
    assert doc_ids(collection) == {"brussels", "djibouti"}


def test_adds_replaces_and_removes_land_in_one_version(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    (folder / "brussels.md").unlink()
    (folder / "djibouti.md").write_text(NOTES["djibouti.md"] + "\nECCAS attended.\n", encoding="utf-8")
    (folder / "amman.md").write_text("In 2025 the eighth meeting was held in Amman.\n", encoding="utf-8")
    report = sync(collection, folder)
    assert (report.added, report.replaced, report.removed, report.unchanged) == (
        ["amman"],
        ["djibouti"],
        ["brussels"],
        ["nairobi"],
    )
    assert report.version == "v000002"


def test_a_renamed_file_keeps_no_stale_copy(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    (folder / "nairobi.md").rename(folder / "2018-nairobi.md")
    report = sync(collection, folder)
    assert report.added == ["2018-nairobi"] and report.removed == ["nairobi"]
    assert doc_ids(collection) == {"brussels", "djibouti", "2018-nairobi"}


def test_a_moved_file_with_a_fixed_id_is_rewritten_without_reembedding(
    collection: Collection, folder: Path, fake_embedder: FakeEmbedder
) -> None:
    (folder / "fixed.md").write_text("---\ndoc_id: fixed\n---\nA note about IGAD.\n", encoding="utf-8")
    sync(collection, folder)
    (folder / "sub").mkdir()
    (folder / "fixed.md").rename(folder / "sub" / "fixed.md")
    embedded = fake_embedder.passages_embedded
    report = sync(collection, folder)
    assert report.replaced == ["fixed"] and not report.removed and report.chunks_embedded == 0
    assert fake_embedder.passages_embedded == embedded
    info = {d.doc_id: d for d in collection.documents()}["fixed"]
    assert info.origin is not None and info.origin.path == "sub/fixed.md"


def test_api_documents_and_other_folders_are_never_removed(
    collection: Collection, folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "elsewhere.md").write_text("A note from another folder.\n", encoding="utf-8")
    sync(collection, folder, other)
    api = Document(doc_id="posted", title="Posted", text="Posted over HTTP.", lang="en", origin=Origin.api())
    collection.add(api)
    collection.ingest([Document(doc_id="library", title="L", text="No origin recorded.", lang="en")])
    for name in NOTES:
        (folder / name).unlink()
    report = sync(collection, folder)
    assert sorted(report.removed) == ["brussels", "djibouti", "nairobi"]
    assert doc_ids(collection) == {"elsewhere", "posted", "library"}


def test_plain_ingest_removes_nothing(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    (folder / "nairobi.md").unlink()
    report = sync(collection, folder, remove_missing=False)
    assert not report.changed and "nairobi" in doc_ids(collection)


def test_a_file_that_fails_to_load_keeps_its_document(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    (folder / "nairobi.md").write_bytes(b"\xff\xfe broken now")
    found = scan([folder], max_bytes=1 << 20)
    report = collection.sync(found)
    assert not report.removed and found.errors
    assert "nairobi" in doc_ids(collection)


def test_dry_run_lists_changes_and_writes_nothing(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    (folder / "nairobi.md").unlink()
    (folder / "amman.md").write_text("In 2025 the eighth meeting was held in Amman.\n", encoding="utf-8")
    preview = collection.preview(scan([folder], max_bytes=1 << 20))
    assert preview.report.added == ["amman"] and preview.report.removed == ["nairobi"]
    assert preview.origins["nairobi"] is not None and preview.origins["nairobi"].path == "nairobi.md"
    assert preview.origins["amman"] is not None and preview.origins["amman"].path == "amman.md"
    assert collection.store.current() == "v000001" and "nairobi" in doc_ids(collection)


@pytest.mark.local_files
def test_an_index_from_before_origins_loads_and_gains_them(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    path = collection.store.path_of("v000001") / CATALOG
    db = sqlite3.connect(path)  # make it look like a catalog written before origins existed
    db.execute("ALTER TABLE documents DROP COLUMN origin")
    db.execute("ALTER TABLE documents DROP COLUMN origin_folder")
    db.commit()
    db.close()
    old = open_collection(collection.data_dir, FakeEmbedder())
    assert all(d.origin is None for d in old.documents())
    assert old.ask("Djibouti", top_k=1).hits
    (folder / "nairobi.md").unlink()
    report = sync(old, folder)
    # Unknown origins are never removed; the others are recorded (vectors reused, nothing embedded).
    assert not report.removed and sorted(report.replaced) == ["brussels", "djibouti"]
    assert report.chunks_embedded == 0
    (folder / "brussels.md").unlink()
    assert sync(old, folder).removed == ["brussels"]


_CRASHING_SYNC = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from index.collection import Collection
    from index.store import IndexStore
    from ingest.folders import scan
    from service.settings import Settings
    from tests.fakes import FakeEmbedder

    data, folder, stage = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    settings = Settings()
    if stage == "after-publish":
        if settings.backend == "milvus":
            from index.milvus.store import MilvusStore
            MilvusStore._prune = lambda self, keep: os._exit(9)
        else:
            IndexStore._remove_old_versions = lambda self, keep: os._exit(9)

    def progress(name, done, total):
        # embed: nothing written yet; lexical: catalog and dense index written (Milvus: the
        # version's documents); written: the whole version is written, not yet published.
        if name == stage or (stage == "written" and name == "index" and done == total):
            os._exit(9)  # like kill -9: no cleanup, no finally

    collection = Collection(data, FakeEmbedder(), backend=settings.backend_config())
    collection.sync(scan([folder], max_bytes=1 << 20), progress=progress)
    """
)


@pytest.mark.parametrize(
    ("stage", "expect_new"),
    [("embed", False), ("lexical", False), ("written", False), ("after-publish", True)],
)
def test_a_crash_mid_sync_leaves_the_old_or_the_new_version(
    collection: Collection, folder: Path, stage: str, expect_new: bool
) -> None:
    sync(collection, folder)
    old = doc_ids(collection)
    (folder / "nairobi.md").unlink()
    (folder / "amman.md").write_text("In 2025 the eighth meeting was held in Amman.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_SYNC, str(collection.data_dir), str(folder), stage],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    after = open_collection(collection.data_dir, FakeEmbedder())
    new = (old - {"nairobi"}) | {"amman"}
    assert doc_ids(after) == (new if expect_new else old)
    snapshot = after.snapshot()
    assert len(snapshot.dense) == len(snapshot.lexical) == snapshot.manifest.chunks
    assert {d["doc_id"] for d in snapshot.manifest.documents} == doc_ids(after)
    # The next sync cleans up whatever the crash left and reaches the new state.
    report = sync(after, folder)
    assert doc_ids(after) == new and not unpublished(after)
    assert report.removed == ([] if expect_new else ["nairobi"])


def test_documents_keep_their_origin_through_a_reindex(collection: Collection, folder: Path) -> None:
    sync(collection, folder)
    before = {d.doc_id: d.origin for d in collection.documents()}
    collection.reindex()
    assert {d.doc_id: d.origin for d in collection.documents()} == before
    assert all(o is not None and o.folder for o in before.values())
    assert collection.store.current() == "v000002"


def test_origin_is_not_part_of_the_content_hash() -> None:
    doc = Document(doc_id="a", title="A", text="text", lang="en")
    moved = dataclasses.replace(doc, origin=Origin.file("/x", "a.md"))
    assert doc.content_hash == moved.content_hash
