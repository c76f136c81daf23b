"""Document ids from file names and titles: ASCII slugs that never merge two different names."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from core.document import DOC_ID_PATTERN, MAX_DOC_ID_LENGTH, slugify
from index.collection import Collection
from ingest.folders import scan


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("2025 Brief", "2025-brief"),
        ("summary-2017-fifth-biennial-meeting-djibouti", "summary-2017-fifth-biennial-meeting-djibouti"),
        ("Café Réunion à Genève", "cafe-reunion-a-geneve"),  # accents dropped, letters kept: no hash
        ("Mediation Report", "mediation-report"),
        ("  __Notes (v2)__ ", "notes-v2"),
    ],
)
def test_latin_names_keep_the_ids_they_always_had(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_arabic_names_are_romanised_and_never_collide() -> None:
    doha, amman, report = slugify("2025 اجتماع الدوحة"), slugify("2025 ورشة عمّان"), slugify("تقرير 3")
    assert doha.startswith("2025-ajtma-aldwha-")
    assert amman.startswith("2025-wrsha-man-")
    assert report.startswith("tqryr-3-")
    assert len({doha, amman, report, "2025", "3"}) == 5
    # Romanisation is lossy (س and ص are both "s"): the hash tells such names apart.
    assert slugify("سيف") != slugify("صيف")
    # An all-Arabic title reads as something, not as an opaque "doc-…".
    assert slugify("مرجع").startswith("mrj-")


def test_a_name_gives_one_id_however_its_file_system_composed_it() -> None:
    name = "آخر اجتماع"  # آ decomposes to ا + madda (macOS writes file names decomposed)
    assert slugify(unicodedata.normalize("NFD", name)) == slugify(name)


@pytest.mark.parametrize(
    "name", ["2025 اجتماع الدوحة", "ع" * 400, "x" * 400, "!!!", "日本語の報告", "Мир 2020"]
)
def test_every_id_is_a_valid_ascii_slug(name: str) -> None:
    slug = slugify(name)
    assert DOC_ID_PATTERN.fullmatch(slug) and slug.isascii() and len(slug) <= MAX_DOC_ID_LENGTH


def test_a_folder_of_arabic_file_names_ingests(tmp_path: Path, collection: Collection) -> None:
    folder = tmp_path / "meetings"
    folder.mkdir()
    (folder / "2025 اجتماع الدوحة.txt").write_text("عقد الاجتماع في الدوحة عام ٢٠٢٥.\n", encoding="utf-8")
    (folder / "2025 ورشة عمّان.txt").write_text("عقدت الورشة في عمّان عام ٢٠٢٥.\n", encoding="utf-8")
    found = scan([folder], max_bytes=1 << 20)
    assert not found.errors
    report = collection.sync(found)
    assert len(report.added) == 2 and all(doc_id.startswith("2025-") for doc_id in report.added)
