"""How likely a passage is to answer the question: a probability in [0, 1].

A fused score (:mod:`index.fusion`) only orders the passages of one question; its level differs
between questions and, in a one-language collection, between a question in the collection's
language and one in another. ``confidence`` maps it to the probability that the passage answers,
with a logistic calibration fitted on XQuAD (``python -m bench.confidence``): positives are the
paragraphs questions were written on, negatives the best passage when that paragraph is taken
out of the collection (other paragraphs of the same article remain: near misses, not noise).
There is one calibration per scoring (one-language or multilingual collection) and kind of pair
(passage in the question's language or not), so a confidence means the same whatever the
languages; ``bench/confidence.py`` reports it per language pair.

A passage that contradicts what the question names (:mod:`index.ranking`: "the 2015 meeting"
against a passage about 2017, "the eighth meeting" against one about the sixth, or a year or
ordinal nothing in the collection mentions) loses ``mismatch_penalty`` in log-odds: its odds of
answering are divided by 20 (a prior, not fitted: XQuAD has too few questions that name a year).
A question none of whose words occurs in the collection (gibberish, or off its subject), though
the collection has passages in its language and the question names no time or ordinal, loses
``unknown_words_penalty`` on every passage (a prior too). A passage that satisfies the time the
question asks about ("the most recent meeting", "after 2019") gains ``time_bonus``, chosen with
the threshold on the tuning half of the bundled questions. The question is answered
(``answered``) when a passage's confidence reaches the threshold (``MARJA_ANSWER_THRESHOLD``,
default ``ANSWER_THRESHOLD``), chosen on the trade-off between unanswerable and answerable
questions the README reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.fusion import Candidates

ANSWER_THRESHOLD = 0.17
NO_ANSWER_REASON = "no passage is close enough"


@dataclass(frozen=True)
class Calibration:
    """probability = 1 / (1 + exp(−(slope·score + intercept)))."""

    slope: float
    intercept: float

    def logits(self, scores: np.ndarray) -> np.ndarray:
        return self.slope * np.asarray(scores, dtype=np.float64) + self.intercept


@dataclass(frozen=True)
class ConfidenceModel:
    """Calibrations fitted by ``bench/confidence.py``."""

    one_language: tuple[Calibration, Calibration] = (
        Calibration(53.069, -46.791),
        Calibration(51.277, -39.956),
    )
    """One-language collection: (passage in the question's language, in another)."""
    mixed: tuple[Calibration, Calibration] = (Calibration(14.251, -9.374), Calibration(8.616, -4.867))
    """Multilingual collection: (passage in the question's language, in another)."""
    mismatch_penalty: float = 3.0
    time_bonus: float = 1.0
    """Log-odds added to a passage that satisfies the time the question asks about."""
    unknown_words_penalty: float = 3.0
    """Log-odds taken from every passage when none of the question's words occurs in the
    collection (``Candidates.unknown_words``)."""

    def logits(self, candidates: Candidates, scores: np.ndarray) -> np.ndarray:
        """Log-odds that each candidate answers, before what the question names counts."""
        same, other = self.mixed if candidates.mixed else self.one_language
        return np.where(candidates.same_language, same.logits(scores), other.logits(scores))

    def confidence(
        self,
        candidates: Candidates,
        *,
        scores: np.ndarray,
        mismatch: np.ndarray,
        satisfied: np.ndarray | None = None,
    ) -> np.ndarray:
        """The probability that each candidate answers: its score's calibration, less
        ``mismatch_penalty`` where it contradicts what the question names, plus ``time_bonus``
        where it satisfies the time the question asks about."""
        logits = self.logits(candidates, scores) - self.mismatch_penalty * mismatch
        if candidates.unknown_words:
            logits = logits - self.unknown_words_penalty
        if satisfied is not None:
            logits = logits + self.time_bonus * satisfied
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))
