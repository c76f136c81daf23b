from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import DocumentTooLarge, InvalidDocument, InvalidDocumentId, UnsupportedDocument
from ingest.loaders import iter_source_files, load_bytes, load_file


def test_markdown_front_matter_becomes_metadata(tmp_path: Path) -> None:
    f = tmp_path / "Brief 2025.md"
    f.write_text(
        "---\ntitle: موجز ٢٠٢٥\nlanguage: ar\nkind: summary\nsource_url: https://example.org/b\n"
        "summary_of: un-regional-organizations\n---\n\nنص الموجز.\n",
        encoding="utf-8",
    )
    d = load_file(f)
    assert (d.doc_id, d.title, d.lang, d.kind, d.source_url) == (
        "brief-2025",
        "موجز ٢٠٢٥",
        "ar",
        "summary",
        "https://example.org/b",
    )
    assert d.metadata == {"summary_of": "un-regional-organizations"}
    assert d.text == "\nنص الموجز.\n"


def test_plain_text_gets_title_and_language_from_its_text(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text(
        "Meeting notes\r\n\r\nThe workshop in Nairobi focused on mediation support.",
        encoding="utf-8",
    )
    d = load_file(f)
    assert d.title == "Meeting notes" and d.lang == "en" and d.kind == "source"
    assert "\r" not in d.text


def test_a_bom_is_accepted() -> None:
    d = load_bytes("\ufeffنص عربي قصير عن الوساطة".encode(), filename="a.txt")
    assert d.text.startswith("نص")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("نص".encode("cp1256"), "not valid UTF-8"),
        (b"\x00\x01\x02binary", "binary"),
        (b"   \n\n  ", "empty"),
        (b"---\ntitle: [unclosed\n---\ntext", "front matter"),
        (b"---\n- a list\n---\ntext", "mapping"),
        (b"---\ntitle: only front matter\n---\n", "no text"),
    ],
)
def test_bad_files_raise_a_clear_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(InvalidDocument, match=message) as e:
        load_bytes(data, filename="bad.txt")
    assert "bad.txt" in str(e.value)


def test_size_limit(tmp_path: Path) -> None:
    f = tmp_path / "big.md"
    f.write_text("x" * 2000)
    with pytest.raises(DocumentTooLarge, match=r"big\.md"):
        load_file(f, max_bytes=1000)


def test_unsupported_type() -> None:
    with pytest.raises(UnsupportedDocument, match=r"\.exe"):
        load_bytes(b"MZ...", filename="setup.exe")


def test_bad_doc_id_in_front_matter() -> None:
    with pytest.raises(InvalidDocumentId):
        load_bytes(b"---\ndoc_id: ../../etc/passwd\n---\ntext here", filename="a.md")


def test_folder_walk_skips_dotfiles_and_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "sub" / "c.bin").write_bytes(b"\x00")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.md").write_text("d")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_source_files([tmp_path])] == [
        "a.md",
        "sub/b.txt",
    ]


def test_bundled_corpus_loads(corpus_documents: list) -> None:
    kinds = {d.doc_id: (d.lang, d.kind) for d in corpus_documents}
    assert kinds["un-regional-organizations"] == ("ar", "source")
    summaries = [d for d in corpus_documents if d.kind == "summary"]
    assert {d.lang for d in summaries} == {"en"}
    assert all(d.metadata["summary_of"] == "un-regional-organizations" for d in summaries)
    source = next(d for d in corpus_documents if d.kind == "source")
    for chrome in ("تجاوز إلى المحتوى الرئيسي", "Body", "اقرأ الموجز", "اقرأ الملخص", "وثائق"):
        assert chrome not in source.text
