"""Hybrid search over one snapshot: candidates from both indexes, fused, highlighted."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.catalog import Filters, StoredChunk
from index.fusion import Candidates, FusionWeights, fuse
from index.snapshot import Snapshot
from text.analyzer import analyze, query_terms
from text.clipping import clip
from text.years import is_year, without_years, years_mentioned

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


@dataclass(frozen=True)
class Query:
    """A question prepared for search: its text, language, years, terms and vector."""

    text: str
    language: str
    vector: np.ndarray
    years: tuple[int, ...]
    terms: list[str]

    @classmethod
    def prepare(cls, text: str, *, language: str, vector: np.ndarray) -> Query:
        """The query for ``text``; its analysis is bounded (see :func:`text.analyzer.query_terms`)."""
        return cls(
            text=text,
            language=language,
            vector=np.asarray(vector, dtype=np.float32).reshape(-1),
            years=years_mentioned(text)[:MAX_QUERY_YEARS],
            terms=query_terms(text),
        )


MAX_QUERY_YEARS = 8
"""Years of a question that boost passages; a list of hundreds of years is not a question."""
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


HIGHLIGHT_MARGIN = 0.04
"""Sentences scoring within this of the best are highlighted too (at most ``MAX_HIGHLIGHTS``)."""
MAX_HIGHLIGHTS = 2


@lru_cache(maxsize=8192)
def _sentence_terms(sentence: str) -> frozenset[str]:
    """The terms of a sentence; the passages that answer keep coming back, so their sentences
    are analysed once (the analyser was most of the highlighting time)."""
    return frozenset(analyze(sentence))


def _best_sentences(snapshot: Snapshot, stored: StoredChunk, query: Query) -> tuple[tuple[int, int], ...]:
    """The sentence(s) of the chunk that best answer the query, as document offsets, in text order.

    Sentences are scored by their vector's cosine to the question plus a small bonus for the
    question's terms (other than years) they contain. e5 compresses cosines into a narrow band,
    so a sentence that scores nearly as well as the best (a list that answers "which
    organizations…" next to the sentence that names the meeting) is highlighted with it.
    """
    sentences = stored.chunk.sentences
    if len(sentences) <= 1:
        return tuple(sentences)
    vectors = snapshot.sentences.of(stored.id)
    if vectors is None or len(vectors) != len(sentences):
        scores = np.zeros(len(sentences), dtype=np.float32)
    else:
        scores = vectors @ query.vector
    # Years pick the passage (boost, filters); inside it the year usually sits in the sentence
    # that introduces the event rather than the one that answers, so it does not count here.
    wanted = {t for t in query.terms if not is_year(t)}
    if wanted:
        chunk = stored.chunk
        overlap = np.array(
            [
                len(wanted & _sentence_terms(chunk.text[s - chunk.start : e - chunk.start])) / len(wanted)
                for s, e in sentences
            ],
            dtype=np.float32,
        )
        scores = scores + 0.1 * overlap
    order = np.argsort(-scores, kind="stable")[:MAX_HIGHLIGHTS]
    chosen = [i for i in order if scores[i] >= scores[order[0]] - HIGHLIGHT_MARGIN]
    return tuple(sentences[i] for i in sorted(chosen))


def search(
    snapshot: Snapshot,
    query: Query,
    *,
    top_k: int,
    filters: Filters,
    weights: FusionWeights,
    pool: int = CANDIDATE_POOL,
) -> list[Hit]:
    """The ``top_k`` best chunks of ``snapshot`` for ``query``."""
    if snapshot.is_empty or snapshot.catalog is None:
        return []
    allowed: np.ndarray | None = None
    if not filters.is_empty():
        allowed = np.array(snapshot.catalog.allowed_ids(filters), dtype=np.int64)
        if len(allowed) == 0:
            return []
    pool = max(pool, 4 * top_k)

    dense_job = (
        _DENSE_THREADS.submit(snapshot.dense.search, query.vector, pool, allowed_ids=allowed)
        if len(snapshot.dense) >= PARALLEL_FROM
        else None
    )
    # BM25 proposes only passages in the question's language (fusion ignores it elsewhere).
    lexical = snapshot.lexical
    same_language = lexical.language_mask(query.language)
    proposable = same_language if allowed is None else same_language & lexical.row_mask(allowed)
    lexical_hits = lexical.search(query.terms, pool, mask=proposable)
    bm25, lexical_rows = lexical_hits.scores, lexical_hits.rows
    if dense_job is None:
        dense_hits = snapshot.dense.search(query.vector, pool, allowed_ids=allowed)
    else:
        dense_hits = dense_job.result()
    best_possible = lexical.max_score(query.terms)

    ids = np.union1d(dense_hits.ids, lexical.ids[lexical_rows])
    if len(ids) == 0:
        return []
    rows = lexical.rows_of(ids)
    dense = snapshot.dense.vectors(ids) @ query.vector
    best_sentence = snapshot.sentences.best_scores(ids, query.vector)
    sentence = np.where(np.isnan(best_sentence), dense, best_sentence)
    year_ids = snapshot.catalog.years_of(ids, query.years) if query.years else set()
    candidates = Candidates(
        ids=ids,
        dense=dense,
        sentence=sentence,
        lexical=bm25[rows] / best_possible if best_possible > 0 else bm25[rows],
        same_language=same_language[rows],
        year_match=np.array([int(i) in year_ids for i in ids], dtype=bool),
    )
    scores = fuse(candidates, weights)
    order = np.argsort(-scores, kind="stable")[:top_k]
    stored = snapshot.catalog.chunks(ids[order])
    hits = []
    for i in order:
        chunk = stored[int(ids[i])]
        hits.append(
            Hit(
                chunk_id=int(ids[i]),
                score=float(scores[i]),
                stored=chunk,
                highlights=_best_sentences(snapshot, chunk, query),
            )
        )
    return hits
