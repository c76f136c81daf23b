"""Ordinals as evidence: "the eighth meeting" matches the passages about the eighth meeting and
contradicts those about another numbered event (:mod:`text.ordinals`).

Like a year, an ordinal reads the same in either language ("eighth", "8th", "الثامن"), so it
is evidence across languages where words are not. A question naming an ordinal *matches* the
chunks that mention it and *contradicts* the chunks that number an event with another ordinal
only; when nothing in the collection mentions it, every chunk contradicts it ("the ninth
meeting" of a collection that stops at the seventh). Chunks that mention no ordinal are unknown.
A catalog written before ordinals were recorded gives no ordinal evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.backends.base import Catalog
from index.records import ChunkFacts


@dataclass(frozen=True)
class OrdinalEvidence:
    match: np.ndarray  # bool per candidate: mentions an ordinal the question names
    mismatch: np.ndarray  # bool per candidate: numbers events with other ordinals only


def ordinal_evidence(
    facts: Sequence[ChunkFacts], *, ordinals: Sequence[int], catalog: Catalog
) -> OrdinalEvidence:
    """Which chunks (``facts``, one per candidate) match the ordinals a question names and which
    contradict them."""
    n = len(facts)
    match = np.zeros(n, dtype=bool)
    mismatch = np.zeros(n, dtype=bool)
    if not ordinals or not catalog.knows_ordinals:
        return OrdinalEvidence(match, mismatch)
    wanted = set(ordinals)
    match = np.array([bool(wanted & set(f.ordinals)) for f in facts], dtype=bool)
    if catalog.mentions_ordinal(ordinals):
        mismatch = np.array([bool(f.ordinals) and not wanted & set(f.ordinals) for f in facts], dtype=bool)
    else:
        mismatch[:] = True
    return OrdinalEvidence(match, mismatch)
