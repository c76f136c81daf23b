"""The ranking of one question's candidates: the fused score (:mod:`index.fusion`) plus what the
question names — a time (:mod:`index.time_ranking`) and ordinals (:mod:`index.ordinal_ranking`).

- A chunk that matches a year, range or ordinal the question names gains the year weight γ
  (once for time, once for ordinals).
- A chunk that contradicts one (about another year, outside the range, another numbered event)
  loses ``MISMATCH_PENALTY``·γ: enough to put it below the passages that match, in either
  language (a passage in the question's language starts about a cross-language offset ahead).
- For "latest"/"first", the chunks near the best score are reordered by year.

``satisfied`` marks the chunks that satisfy the time the question asks about (about a year or in
the range it names, or of the year "latest"/"first" picks): :mod:`index.confidence` counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.backends.base import Catalog
from index.fusion import Candidates, FusionWeights, fuse
from index.ordinal_ranking import ordinal_evidence
from index.records import ChunkFacts
from index.time_ranking import order_boost, time_evidence
from text.temporal import TimeIntent

MISMATCH_PENALTY = 2.0
"""What a contradicted year, range or ordinal costs, in units of the year weight γ."""


@dataclass(frozen=True)
class Ranked:
    scores: np.ndarray
    """The score of each candidate, everything the question names included."""
    mismatch: np.ndarray
    """bool: the chunk contradicts a year, range or ordinal the question names."""
    satisfied: np.ndarray
    """bool: the chunk satisfies the time the question asks about."""


def rank(
    candidates: Candidates,
    *,
    intent: TimeIntent,
    ordinals: Sequence[int],
    catalog: Catalog,
    weights: FusionWeights,
) -> Ranked:
    """The candidates' scores with the question's time and ordinals taken into account."""
    n = len(candidates.ids)
    if intent.is_empty and not ordinals:
        no = np.zeros(n, dtype=bool)
        return Ranked(fuse(candidates, weights), no, no)
    found = catalog.facts_of(candidates.ids)
    unknown = ChunkFacts((), None)
    facts = [found.get(int(i), unknown) for i in candidates.ids]
    time = time_evidence(facts, intent=intent, catalog=catalog)
    ordinal = ordinal_evidence(facts, ordinals=ordinals, catalog=catalog)
    scores = fuse(replace(candidates, year_match=time.match), weights)
    unit = weights.year_weight(candidates)
    mismatch = time.mismatch | ordinal.mismatch
    scores = scores + unit * ordinal.match - MISMATCH_PENALTY * unit * mismatch
    boost = order_boost(scores, facts, intent=intent, unit=unit)
    satisfied = time.match.copy()
    if boost.any():
        satisfied |= boost >= boost.max()
    return Ranked(scores + boost, mismatch, satisfied & ~mismatch)
