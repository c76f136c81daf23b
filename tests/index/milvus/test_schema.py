"""Long payloads are stored in parts that Milvus accepts and read back whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.milvus.schema import joined, part_rows, split_utf8, version_of


@given(st.text(max_size=3000), st.integers(min_value=4, max_value=200))
def test_parts_join_back_and_fit(text: str, limit: int) -> None:
    parts = split_utf8(text, limit)
    assert "".join(parts) == text
    assert all(len(p.encode("utf-8")) <= limit for p in parts)
    assert all(parts) or parts == [""]


def test_rows_of_several_owners_are_joined_in_order() -> None:
    long = "نص " * 40_000  # 200,000 bytes: four parts
    rows = part_rows("doc-a", "text", long) + part_rows("doc-b", "info", "{}")
    assert len(rows) == 5
    assert joined(list(reversed(rows))) == {("doc-a", "text"): long, ("doc-b", "info"): "{}"}


def test_version_collections_are_recognised() -> None:
    assert version_of("marja", "marja_v000007_chunks") == 7
    assert version_of("marja", "marja_v1234567_terms") == 1234567
    assert version_of("marja", "marja_lock_0123") is None
    assert version_of("marja", "marja2_v000007_chunks") is None
    assert version_of("marja", "other_v000007_chunks") is None
