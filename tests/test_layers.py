"""The architecture, checked: each layer imports only the layers below it, and a question never
runs code from ``ingest/``.

    text, core  →  ingest  →  index  →  service
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from index.collection import Collection

REPO = Path(__file__).resolve().parent.parent

# What each first-party package may import (besides itself).
ALLOWED: dict[str, set[str]] = {
    "text": set(),
    "core": {"text"},
    "ingest": {"core", "text"},
    "index": {"core", "text", "ingest"},
    "service": {"core", "text", "ingest", "index"},
}
FIRST_PARTY = set(ALLOWED) | {"bench", "harness", "tests"}


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_upward_imports(package: str) -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line} imports {target}"
        for path in sorted((REPO / package).rglob("*.py"))
        for line, target in _imports(path)
        if target in FIRST_PARTY and target != package and target not in ALLOWED[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_a_question_never_enters_ingest(corpus_collection: Collection) -> None:
    corpus_collection.ask("warm-up: load the snapshot first")
    ingest_dir = str(REPO / "ingest")
    entered: set[str] = set()

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(ingest_dir):
            entered.add(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")

    sys.setprofile(tracer)
    try:
        answer = corpus_collection.ask(
            "Which organizations attended the meeting in 2017?", previous_question="Where was it held?"
        )
    finally:
        sys.setprofile(None)
    assert answer.hits
    assert not entered, sorted(entered)
