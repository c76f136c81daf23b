"""What counts as a hit: the rules a question set states for each question.

A passage hits when it satisfies every rule the question gives (each one narrows):

- ``doc_id``: the passage is from that document;
- ``text``: the passage contains that text (or one of several), compared after Arabic
  normalisation and whitespace folding (``ٱلْمُنَظَّمَة`` matches ``المنظمة``, line breaks match spaces);
- ``start``/``end`` (with ``doc_id``): the passage overlaps that span of the document's text;
- ``year``: the passage (or the title and headings it sits under) mentions that year (or one of
  several, for a question about a range: "meetings after 2019"), in either digit system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.document import Chunk
from index.search import Hit
from text.arabic import normalize


def fold(text: str) -> str:
    """``text`` as the ``text`` rule compares it: Arabic-normalised, runs of whitespace as one space."""
    return " ".join(normalize(text).split())


@dataclass(frozen=True)
class HitRule:
    doc_id: str | None = None
    phrases: tuple[str, ...] = ()
    """Folded (see :func:`fold`); the passage must contain one of them."""
    span: tuple[int, int] | None = None
    years: tuple[int, ...] = ()
    """The passage must mention one of them."""

    @property
    def is_empty(self) -> bool:
        return self.doc_id is None and not self.phrases and self.span is None and not self.years

    def matches(self, chunk: Chunk) -> bool:
        if self.doc_id is not None and chunk.doc_id != self.doc_id:
            return False
        if self.span is not None and not (chunk.start < self.span[1] and self.span[0] < chunk.end):
            return False
        if self.years and not set(self.years) & set(chunk.years):
            return False
        if self.phrases:
            text = fold(chunk.text)
            return any(phrase in text for phrase in self.phrases)
        return True

    def first_hit(self, hits: Sequence[Hit]) -> int | None:
        """The 1-based rank of the first passage that hits, or None."""
        for rank, hit in enumerate(hits, start=1):
            if self.matches(hit.stored.chunk):
                return rank
        return None

    def describe(self) -> str:
        """The rule in a few words, for reports."""
        parts = []
        if self.doc_id is not None:
            parts.append(f"in {self.doc_id}")
        if self.span is not None:
            parts.append(f"overlapping {self.span[0]}-{self.span[1]}")
        if self.years:
            parts.append("mentions " + " or ".join(str(y) for y in self.years))
        if self.phrases:
            parts.append("contains " + " or ".join(repr(p) for p in self.phrases))
        return ", ".join(parts)
