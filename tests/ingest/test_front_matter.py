"""Front matter is bounded: no alias expansion, no deep nesting, no megabytes of YAML."""

from __future__ import annotations

import pytest

from core.errors import InvalidDocument
from ingest.loaders import load_bytes
from ingest.loaders.base import MAX_FRONT_MATTER_CHARS, MAX_FRONT_MATTER_DEPTH

# Nine levels of aliases, each repeating the one before nine times: 448 bytes, 9^9 leaves.
ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{','.join(['*' + chr(ord('a') + i - 1)] * 9)}]\n"
        for i in range(1, 9)
    )
    + "---\n\nThe body of a small note about a meeting in Djibouti.\n"
)


def load_md(text: str):  # type: ignore[no-untyped-def]
    return load_bytes(text.encode(), filename="note.md")


def test_an_alias_bomb_is_refused_with_the_reason() -> None:
    assert len(ALIAS_BOMB) < 600
    with pytest.raises(InvalidDocument, match="anchors or aliases") as e:
        load_md(ALIAS_BOMB)
    assert "note.md" in str(e.value)


def test_a_single_alias_or_anchor_is_refused_too() -> None:
    with pytest.raises(InvalidDocument, match="anchors or aliases"):
        load_md("---\ntags: &t [a, b]\nmore: *t\n---\nBody text of the note.\n")
    with pytest.raises(InvalidDocument, match="anchors or aliases"):
        load_md("---\ntags: &t [a, b]\n---\nBody text of the note.\n")


def test_deeply_nested_front_matter_is_a_clear_error() -> None:
    with pytest.raises(InvalidDocument, match=f"more than {MAX_FRONT_MATTER_DEPTH} levels deep"):
        load_md("---\nx: " + "[" * 20_000 + "\n---\nBody text of the note.\n")
    with pytest.raises(InvalidDocument, match="levels deep"):
        load_md("---\n" + "".join("  " * i + f"k{i}:\n" for i in range(40)) + "---\nBody text.\n")


def test_oversized_front_matter_is_refused_before_parsing() -> None:
    big = (
        "---\n"
        + "".join(f"key{i}: value {i}\n" for i in range(MAX_FRONT_MATTER_CHARS // 10))
        + "---\nBody.\n"
    )
    with pytest.raises(InvalidDocument, match="over the limit"):
        load_md(big)


def test_ordinary_nested_front_matter_still_loads() -> None:
    document = load_md(
        "---\ntitle: Brief\nkind: summary\nparticipants: [AU, IGAD]\nvenue: {city: Djibouti, year: 2019}\n"
        "---\n\nThe meeting in Djibouti discussed mediation support.\n"
    )
    assert document.title == "Brief" and document.kind == "summary"
    assert document.metadata == {"participants": ["AU", "IGAD"], "venue": {"city": "Djibouti", "year": 2019}}
