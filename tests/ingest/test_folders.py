"""Scanning folders: every document records the file it came from; what a sync would remove."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from core.document import Origin
from core.errors import InvalidDocument
from ingest.folders import scan
from ingest.loaders import LOADERS, iter_source_files

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_documents_record_their_path_relative_to_the_folder(tmp_path: Path) -> None:
    write(tmp_path / "notes" / "a.md", "# A\n\nThe meeting in Djibouti.\n")
    write(tmp_path / "notes" / "sub" / "b.txt", "The workshop in Nairobi.\n")
    write(tmp_path / "notes" / ".hidden" / "c.md", "hidden\n")
    found = scan([tmp_path / "notes"], max_bytes=1 << 20)
    folder = str((tmp_path / "notes").resolve())
    assert {d.doc_id: d.origin for d in found.documents} == {
        "a": Origin.file(folder, "a.md"),
        "b": Origin.file(folder, "sub/b.txt"),
    }
    assert found.folders == [PurePosixPath(folder)] and not found.errors


def test_a_file_named_directly_is_relative_to_its_folder_and_read_once(tmp_path: Path) -> None:
    a = write(tmp_path / "notes" / "a.md", "The meeting in Djibouti.\n")
    found = scan([tmp_path / "notes", a], max_bytes=1 << 20)
    assert [d.doc_id for d in found.documents] == ["a"]  # not "given twice"
    alone = scan([a], max_bytes=1 << 20)
    assert alone.folders == []  # a sync of a file alone removes nothing
    assert alone.documents[0].origin.same_place(found.documents[0].origin)  # type: ignore[union-attr]


def test_two_files_with_one_id_are_named(tmp_path: Path) -> None:
    write(tmp_path / "notes" / "brief.md", "One.\n")
    write(tmp_path / "notes" / "brief.txt", "Two.\n")
    with pytest.raises(
        InvalidDocument, match=r"brief\.md and .*brief\.txt both give the document id 'brief'"
    ):
        scan([tmp_path / "notes"], max_bytes=1 << 20)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidDocument, match="no such file"):
        scan([tmp_path / "nope"], max_bytes=1 << 20)


def test_a_file_that_fails_to_load_is_reported_and_marked(tmp_path: Path) -> None:
    write(tmp_path / "ok.md", "fine text\n")
    (tmp_path / "bad.txt").write_bytes("نص".encode("cp1256"))
    found = scan([tmp_path], max_bytes=1 << 20)
    assert [d.doc_id for d in found.documents] == ["ok"]
    assert found.failed == {PurePosixPath((tmp_path / "bad.txt").resolve().as_posix())}
    assert "bad.txt" in found.errors[0]


def _origin(folder: Path, path: str) -> Origin:
    return Origin.file(str(folder.resolve()), path)


def test_stale_documents_are_those_whose_file_under_the_folder_is_gone(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "notes", tmp_path / "other"
    write(folder / "kept.md", "still here\n")
    (folder / "broken.txt").write_bytes(b"\xff\xfe\x00junk")
    write(folder / "new-name.md", "---\ndoc_id: renamed-keeps-id\n---\nmoved\n")
    found = scan([folder], max_bytes=1 << 20)
    origins = {
        "kept": _origin(folder, "kept.md"),
        "deleted": _origin(folder, "deleted.md"),
        "deep-deleted": _origin(folder, "sub/deep.md"),
        "broken": _origin(folder, "broken.txt"),  # still there, failed to load: kept
        "renamed-keeps-id": _origin(folder, "old-name.md"),  # rewritten from its new file
        "other-folder": _origin(elsewhere, "x.md"),
        "from-api": Origin.api(),
        "unknown": None,
    }
    assert found.stale(origins) == ["deep-deleted", "deleted"]


def test_a_file_that_now_gives_another_id_leaves_no_stale_copy(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\ndoc_id: new-id\n---\ntext\n")
    found = scan([tmp_path], max_bytes=1 << 20)
    assert found.stale({"old-id": _origin(tmp_path, "a.md")}) == ["old-id"]


def test_question_sets_in_the_corpus_are_not_ingested() -> None:
    corpus = REPO / "corpus"
    assert (corpus / "questions.jsonl").is_file()
    assert ".jsonl" not in LOADERS and ".json" not in LOADERS and ".csv" not in LOADERS
    assert all(p.suffix != ".jsonl" for p in iter_source_files([corpus]))
    found = scan([corpus], max_bytes=20 << 20)
    assert not found.errors and not found.failed
    assert all(not d.origin.path.endswith(".jsonl") for d in found.documents)  # type: ignore[union-attr]
