"""Ranking by time: what a question's years, ranges and "latest"/"first" do to candidate scores.

A chunk's time is its document's year when the document says (front matter ``event_year`` or
``date``), else the years the chunk mentions. Then:

- a question naming years ("in 2017") or a range ("after 2019", "بين ٢٠١٧ و٢٠٢١") adds the year
  weight γ to the chunks whose time matches — the same evidence a named year always gave — and
  takes ``MISMATCH_PENALTY``·γ from the chunks whose time is known and contradicts it (the years
  that bound a range are not matched as words either: "before 2019" is not about 2019);
- a question asking for the latest or the first event reorders the chunks that score within
  ``ORDER_MARGIN``·γ of the best: those of the most recent (or the earliest) year among them gain
  ``ORDER_BOOST``·γ, those of the next year half that, and so on;
- a chunk whose time is known and contradicts what the question names (another year, out of the
  range) is *mismatched*: it can be the nearest passage but not the answer, which lowers its
  confidence (:mod:`index.confidence`). When the question names a year that nothing in the
  collection mentions, every chunk is mismatched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from index.catalog import CatalogReader, ChunkTime
from index.fusion import Candidates, FusionWeights, fuse
from text.temporal import EARLIEST, TimeIntent

ORDER_MARGIN = 1.5
ORDER_BOOST = 2.0
MISMATCH_PENALTY = 2.0


@dataclass(frozen=True)
class Ranked:
    scores: np.ndarray  # fused score of each candidate, time evidence included
    mismatch: np.ndarray  # bool: the chunk's time contradicts the question's


def _matches(intent: TimeIntent, time: ChunkTime) -> bool | None:
    """Whether the chunk's time matches the years or range asked about; None when unknown."""
    years = (time.document_year,) if time.document_year is not None else time.years
    if not years:
        return None
    named = bool(intent.years) and any(y in intent.years for y in years)
    return named or (intent.has_range and any(intent.in_range(y) for y in years))


def _time_of(intent: TimeIntent, time: ChunkTime) -> int | None:
    """The year that places a chunk in order: its document's, else its earliest or latest mention."""
    if time.document_year is not None:
        return time.document_year
    if not time.years:
        return None
    return min(time.years) if intent.order == EARLIEST else max(time.years)


@dataclass(frozen=True)
class TimeEvidence:
    candidates: Candidates  # with ``year_match`` set
    mismatch: np.ndarray  # bool per candidate
    times: list[ChunkTime]


def time_evidence(candidates: Candidates, intent: TimeIntent, catalog: CatalogReader) -> TimeEvidence:
    """Which candidates match the years or range the question names, and which contradict them."""
    n = len(candidates.ids)
    mismatch = np.zeros(n, dtype=bool)
    if intent.is_empty:
        return TimeEvidence(candidates, mismatch, [])
    times = catalog.times_of(candidates.ids)
    unknown = ChunkTime((), None)
    chunk_times = [times.get(int(i), unknown) for i in candidates.ids]
    if intent.years or intent.has_range:
        matched = [_matches(intent, t) for t in chunk_times]
        candidates = replace(candidates, year_match=np.array([m is True for m in matched], dtype=bool))
        mismatch = np.array([m is False for m in matched], dtype=bool)
        if intent.years and not intent.has_range and not catalog.mentions_any(intent.years):
            mismatch[:] = True
    return TimeEvidence(candidates, mismatch, chunk_times)


def rank(
    candidates: Candidates, intent: TimeIntent, catalog: CatalogReader, weights: FusionWeights
) -> Ranked:
    """The candidates' scores with the question's time taken into account."""
    evidence = time_evidence(candidates, intent, catalog)
    scores = fuse(evidence.candidates, weights)
    # About another year than the one named, or outside the range asked about ("before 2019" and
    # a passage about 2019, which the question's own words pull up): ``MISMATCH_PENALTY``·γ down.
    scores = scores - MISMATCH_PENALTY * weights.year_weight(candidates) * evidence.mismatch
    if intent.order is not None and len(scores) > 1:
        years = [_time_of(intent, t) for t in evidence.times]
        scores = scores + _order_boost(scores, years, intent, weights.year_weight(candidates))
    return Ranked(scores, evidence.mismatch)


def _order_boost(scores: np.ndarray, years: list[int | None], intent: TimeIntent, unit: float) -> np.ndarray:
    """``ORDER_BOOST``·unit for the latest (or earliest) year among the chunks near the best
    score, half that for the next year, a quarter for the one after, and so on."""
    boost = np.zeros(len(scores))
    top = float(scores.max())
    near = {i: y for i, y in enumerate(years) if y is not None and scores[i] >= top - ORDER_MARGIN * unit}
    distinct = sorted(set(near.values()), reverse=intent.order != EARLIEST)
    if len(distinct) < 2:
        return boost
    step = {year: k for k, year in enumerate(distinct)}
    for i, year in near.items():
        boost[i] = ORDER_BOOST * unit * 0.5 ** step[year]
    return boost
