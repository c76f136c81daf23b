"""Time as evidence: which passages match the years, range or order a question asks about.

A chunk's time is its document's year when the document says (front matter ``event_year`` or
``date``, stored at ingest), else the years the chunk mentions. Then (:mod:`index.ranking` turns
this into scores):

- a question naming years ("in 2017") or a range ("after 2019", "بين ٢٠١٧ و٢٠٢١") *matches* the
  chunks whose time is one of those years or in the range, and *contradicts* the chunks whose time
  is known and is neither; when the question names a year that nothing in the collection
  mentions, every chunk contradicts it (the years that bound a range are not matched as words
  either: "before 2019" is not about 2019);
- a question asking for the latest or the first event reorders the chunks that score within
  ``ORDER_MARGIN``·γ of the best: those of the most recent (or the earliest) year among them gain
  ``ORDER_BOOST``·γ, those of the next year half that, and so on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.backends.base import Catalog
from index.records import ChunkFacts
from text.temporal import EARLIEST, TimeIntent

ORDER_MARGIN = 1.5
ORDER_BOOST = 2.0


@dataclass(frozen=True)
class TimeEvidence:
    match: np.ndarray  # bool per candidate: about a year or range the question names
    mismatch: np.ndarray  # bool per candidate: about another time than the question names


def _matches(intent: TimeIntent, facts: ChunkFacts) -> bool | None:
    """Whether the chunk's time matches the years or range asked about; None when unknown."""
    years = (facts.document_year,) if facts.document_year is not None else facts.years
    if not years:
        return None
    named = bool(intent.years) and any(y in intent.years for y in years)
    return named or (intent.has_range and any(intent.in_range(y) for y in years))


def time_evidence(facts: Sequence[ChunkFacts], *, intent: TimeIntent, catalog: Catalog) -> TimeEvidence:
    """Which chunks (``facts``, one per candidate) match the years or range the question names,
    and which contradict them."""
    n = len(facts)
    match = np.zeros(n, dtype=bool)
    mismatch = np.zeros(n, dtype=bool)
    if intent.years or intent.has_range:
        matched = [_matches(intent, f) for f in facts]
        match = np.array([m is True for m in matched], dtype=bool)
        mismatch = np.array([m is False for m in matched], dtype=bool)
        if intent.years and not intent.has_range and not catalog.mentions_year(intent.years):
            mismatch[:] = True
    return TimeEvidence(match, mismatch)


def _time_of(intent: TimeIntent, facts: ChunkFacts) -> int | None:
    """The year that places a chunk in order: its document's, else its earliest or latest mention."""
    if facts.document_year is not None:
        return facts.document_year
    if not facts.years:
        return None
    return min(facts.years) if intent.order == EARLIEST else max(facts.years)


def order_boost(
    scores: np.ndarray, facts: Sequence[ChunkFacts], *, intent: TimeIntent, unit: float
) -> np.ndarray:
    """For a question asking for the latest (or first) event: ``ORDER_BOOST``·unit for the latest
    (or earliest) year among the chunks near the best score, half that for the next year, a
    quarter for the one after, and so on; zeros otherwise."""
    boost = np.zeros(len(scores))
    if intent.order is None or len(scores) < 2:
        return boost
    top = float(scores.max())
    years = [_time_of(intent, f) for f in facts]
    near = {i: y for i, y in enumerate(years) if y is not None and scores[i] >= top - ORDER_MARGIN * unit}
    distinct = sorted(set(near.values()), reverse=intent.order != EARLIEST)
    if len(distinct) < 2:
        return boost
    step = {year: k for k, year in enumerate(distinct)}
    for i, year in near.items():
        boost[i] = ORDER_BOOST * unit * 0.5 ** step[year]
    return boost
