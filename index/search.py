"""Hybrid search over one snapshot: candidates from both indexes with their evidence, ranked
(:mod:`index.fusion`, :mod:`index.ranking`), with confidence and highlights."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from index.backends.base import LexicalHits, Scope, SentenceVectorsView
from index.centring import CentredQuery
from index.confidence import ANSWER_THRESHOLD, ConfidenceModel
from index.fusion import Candidates, FusionWeights
from index.highlights import best_sentences
from index.ranking import rank
from index.records import Filters, StoredChunk
from index.snapshot import Snapshot
from text.analyzer import query_terms
from text.clipping import clip
from text.ordinals import ordinals_mentioned
from text.temporal import TimeIntent, parse_time_intent
from text.years import without_years, years_mentioned

logger = logging.getLogger(__name__)

CANDIDATE_POOL = 100
"""How many chunks each index proposes before fusion."""

PARALLEL_FROM = 50_000
"""From this many chunks, the dense search runs on a helper thread while BM25 scores on the
caller's: FAISS releases the GIL, and at 1M chunks each side takes milliseconds."""
_DENSE_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dense-search")


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    score: float
    stored: StoredChunk
    highlights: tuple[tuple[int, int], ...]
    confidence: float = 0.0
    """Probability in [0, 1] that the passage answers (:mod:`index.confidence`)."""
    answers: bool = False
    """Whether the confidence reaches the answer threshold: the passage is an answer."""
    mismatch: bool = False
    """The passage contradicts a year, range or ordinal the question names (:mod:`index.ranking`)."""
    satisfied: bool = False
    """The passage satisfies the time the question asks about (:mod:`index.ranking`)."""


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its text, language, time intent, ordinals, terms and vector."""

    text: str
    language: str
    vector: np.ndarray
    intent: TimeIntent
    terms: list[str]
    ordinals: tuple[int, ...] = ()

    @classmethod
    def prepare(cls, text: str, *, language: str, vector: np.ndarray) -> Query:
        """The query for ``text``; its analysis is bounded (see :func:`text.analyzer.query_terms`)."""
        intent = parse_time_intent(text)
        if len(intent.years) > MAX_QUERY_YEARS:
            intent = replace(intent, years=intent.years[:MAX_QUERY_YEARS])
        # "before 2019" is not about 2019: the edge of a range is no term to match.
        edges = {str(year) for year in intent.bounds}
        return cls(
            text=text,
            language=language,
            vector=np.asarray(vector, dtype=np.float32).reshape(-1),
            intent=intent,
            terms=[t for t in query_terms(text) if t not in edges],
            ordinals=ordinals_mentioned(text[:MAX_ORDINAL_CHARS]),
        )


MAX_QUERY_YEARS = 8
"""Years of a question that boost passages; a list of hundreds of years is not a question."""
MAX_ORDINAL_CHARS = 4000
"""Characters of a question its ordinals are read from."""
_FOLLOW_UP_MAX_TERMS = 4
_FOLLOW_UP_MAX_CHARS = 100
MAX_FOLLOW_UP_CHARS = 500
"""Characters of the previous question a follow-up borrows."""


def with_follow_up_context(question: str, previous: str | None) -> str:
    """The text to search for a question asked after ``previous``.

    A short follow-up ("and in 2019?", "وماذا عن ٢٠١٩؟": at most four terms and 100 characters)
    borrows the words of the previous question (its first ``MAX_FOLLOW_UP_CHARS`` characters);
    years of the new question replace the previous question's years.
    """
    if (
        not previous
        or len(question) > _FOLLOW_UP_MAX_CHARS
        or len(query_terms(question, max_terms=_FOLLOW_UP_MAX_TERMS + 1)) > _FOLLOW_UP_MAX_TERMS
    ):
        return question
    previous = clip(previous.strip(), MAX_FOLLOW_UP_CHARS)
    if years_mentioned(question):
        previous = without_years(previous)
    return f"{previous.strip()} {question.strip()}"


def _dense_candidates(
    snapshot: Snapshot, query: Query, centred: CentredQuery | None, *, pool: int, scope: Scope
) -> np.ndarray:
    """Chunk ids proposed by dense search: the nearest by raw cosine and, in a multilingual
    collection, the nearest of each language by centred cosine (so a language the raw cosines
    disfavour still gets its best passages considered)."""
    jobs: list[tuple[np.ndarray, Scope]] = [(query.vector, scope)]
    if centred is not None:
        jobs.extend((centred.vector, scope.in_language(lang)) for lang in snapshot.means.qualified)
    dense = snapshot.dense

    def run(job: tuple[np.ndarray, Scope]) -> np.ndarray:
        vector, within = job
        return dense.search(vector, pool, scope=within).ids

    parallel = len(dense) >= PARALLEL_FROM or dense.remote
    found = list(_DENSE_THREADS.map(run, jobs)) if parallel else [run(job) for job in jobs]
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _lexical_lead(
    ids: np.ndarray, proposed: LexicalHits, best_possible: float
) -> tuple[np.ndarray, np.ndarray]:
    """Marks BM25's best passage in the question's language (1.0) and its lead over the second
    (in units of the question's maximum BM25): one passage that stands out lexically is stronger
    evidence than its score alone."""
    top = np.zeros(len(ids), dtype=np.float64)
    lead = np.zeros(len(ids), dtype=np.float64)
    if len(proposed.ids) == 0 or best_possible <= 0:
        return top, lead
    scores = proposed.scores
    order = np.argsort(-scores, kind="stable")[:2]
    second = float(scores[order[1]]) if len(order) > 1 else 0.0
    at = int(np.searchsorted(ids, proposed.ids[order[0]]))  # ``ids`` is sorted
    top[at] = 1.0
    lead[at] = (float(scores[order[0]]) - second) / best_possible
    return top, lead


@dataclass(frozen=True)
class Gathered:
    """The candidates of a question and the sentence vectors read for them."""

    candidates: Candidates
    sentences: SentenceVectorsView


def gather(
    snapshot: Snapshot, query: Query, *, filters: Filters, pool: int = CANDIDATE_POOL
) -> Candidates | None:
    """The candidates of ``query`` with all their evidence, or None when nothing can match."""
    gathered = _gather(snapshot, query, filters=filters, pool=pool)
    return gathered.candidates if gathered is not None else None


def _gather(snapshot: Snapshot, query: Query, *, filters: Filters, pool: int) -> Gathered | None:
    if snapshot.is_empty or snapshot.catalog is None:
        return None
    scope = Scope(filters=filters)
    centred = (
        CentredQuery.of(query.vector, lang=query.language, means=snapshot.means)
        if snapshot.means.multilingual
        else None
    )
    dense_job = (
        _DENSE_THREADS.submit(_dense_candidates, snapshot, query, centred, pool=pool, scope=scope)
        if len(snapshot.dense) >= PARALLEL_FROM or snapshot.dense.remote
        else None
    )
    # BM25 proposes only passages in the question's language (fusion ignores it elsewhere).
    lexical = snapshot.lexical
    proposed = lexical.search(query.terms, pool, scope=scope.in_language(query.language))
    if dense_job is None:
        dense_ids = _dense_candidates(snapshot, query, centred, pool=pool, scope=scope)
    else:
        dense_ids = dense_job.result()
    # In a multilingual collection a question's words may be missing from its language's
    # passages because the answer is in the other language: they count in the maximum.
    best_possible = lexical.max_score(query.terms, unseen=centred is not None)

    ids = np.union1d(dense_ids, proposed.ids)
    if len(ids) == 0:
        return None
    bm25 = proposed.score_of(ids)
    langs = lexical.langs_of(ids)
    vectors = snapshot.dense.vectors(ids)
    sentences = snapshot.sentences.subset(ids)
    normalised = bm25 / best_possible if best_possible > 0 else bm25
    centred_dense = centred_sentence = lexical_top = lexical_lead = None
    if centred is None:
        dense = vectors @ query.vector
        best_sentence = sentences.best_scores(ids, query.vector)
        sentence = np.where(np.isnan(best_sentence), dense, best_sentence)
    else:
        # Raw and centred cosines in one pass over the chunk vectors and one over the sentences.
        centres = centred.centre_index(langs.tolist())
        chunk = centred.cosines(vectors, centres)
        best = sentences.best_of(
            ids, lambda sentence_vectors, owners: centred.cosines(sentence_vectors, centres[owners]), width=2
        )
        best = np.where(np.isnan(best), chunk, best)
        dense, sentence = chunk[:, 0], best[:, 0]
        centred_dense, centred_sentence = chunk[:, 1], best[:, 1]
        lexical_top, lexical_lead = _lexical_lead(ids, proposed, best_possible)
    candidates = Candidates(
        ids=ids,
        dense=dense,
        sentence=sentence,
        lexical=normalised,
        same_language=langs == query.language,
        year_match=np.zeros(len(ids), dtype=bool),
        centred_dense=centred_dense,
        centred_sentence=centred_sentence,
        lexical_top=lexical_top,
        lexical_lead=lexical_lead,
        question_lang=query.language,
        unknown_words=(
            query.intent.is_empty
            and not query.ordinals
            and query.language in snapshot.languages
            and not lexical.knows_any(query.terms)
        ),
    )
    return Gathered(candidates, sentences)


def search(
    snapshot: Snapshot,
    query: Query,
    *,
    top_k: int,
    filters: Filters,
    weights: FusionWeights,
    calibration: ConfidenceModel | None = None,
    threshold: float = ANSWER_THRESHOLD,
    pool: int = CANDIDATE_POOL,
) -> list[Hit]:
    """The ``top_k`` best chunks of ``snapshot`` for ``query``, with their confidence; a passage
    whose confidence reaches ``threshold`` answers (``Hit.answers``)."""
    gathered = _gather(snapshot, query, filters=filters, pool=max(pool, 4 * top_k))
    if gathered is None:
        return []
    candidates = gathered.candidates
    assert snapshot.catalog is not None
    ranked = rank(
        candidates, intent=query.intent, ordinals=query.ordinals, catalog=snapshot.catalog, weights=weights
    )
    scores = ranked.scores
    confidence = (calibration or ConfidenceModel()).confidence(
        candidates, scores=scores, mismatch=ranked.mismatch, satisfied=ranked.satisfied
    )
    answers = confidence >= threshold
    # In score order, also where a passage that answers follows one that does not (confidence is
    # calibrated per language pair, and putting the passages that answer first costs recall@1:
    # XQuAD's same-language cells and the bundled questions).
    order = np.argsort(-scores, kind="stable")[:top_k]
    ids = candidates.ids
    stored = snapshot.catalog.chunks(ids[order])
    hits = []
    for i in order:
        chunk = stored[int(ids[i])]
        hits.append(
            Hit(
                chunk_id=int(ids[i]),
                score=float(scores[i]),
                stored=chunk,
                highlights=best_sentences(
                    chunk.chunk,
                    gathered.sentences.of(chunk.id),
                    question=query.vector,
                    terms=query.terms,
                    years=query.intent.years,
                ),
                confidence=float(confidence[i]),
                answers=bool(answers[i]),
                mismatch=bool(ranked.mismatch[i]),
                satisfied=bool(ranked.satisfied[i]),
            )
        )
    return hits
