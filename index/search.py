"""Hybrid search over one snapshot: candidates from both indexes, fused, highlighted."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from index.analyzer import analyze
from index.catalog import Filters, StoredChunk
from index.fusion import Candidates, FusionWeights, fuse
from index.snapshot import Snapshot
from ingest.arabic import normalize_digits
from ingest.language import years_mentioned

logger = logging.getLogger(__name__)

CANDIDATE_POOL = 100
"""How many chunks each index proposes before fusion."""


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
        return cls(
            text=text,
            language=language,
            vector=np.asarray(vector, dtype=np.float32).reshape(-1),
            years=years_mentioned(text),
            terms=analyze(text),
        )


_YEAR_WORDS = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|21\d\d)(?!\d)")
_FOLLOW_UP_MAX_TERMS = 4


def with_follow_up_context(question: str, previous: str | None) -> str:
    """The text to search for a question asked after ``previous``.

    A short follow-up ("and in 2019?", "وماذا عن ٢٠١٩؟") borrows the previous question's words;
    years of the new question replace the previous question's years.
    """
    if not previous or len(analyze(question)) > _FOLLOW_UP_MAX_TERMS:
        return question
    if years_mentioned(question):
        previous = _YEAR_WORDS.sub(" ", normalize_digits(previous))
    return f"{previous.strip()} {question.strip()}"


HIGHLIGHT_MARGIN = 0.04
"""Sentences scoring within this of the best are highlighted too (at most ``MAX_HIGHLIGHTS``)."""
MAX_HIGHLIGHTS = 2


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
    wanted = {t for t in query.terms if not _YEAR_WORDS.fullmatch(t)}
    if wanted:
        chunk = stored.chunk
        overlap = np.array(
            [
                len(wanted & set(analyze(chunk.text[s - chunk.start : e - chunk.start]))) / len(wanted)
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

    dense_hits = snapshot.dense.search(query.vector, pool, allowed_ids=allowed)

    lexical = snapshot.lexical
    bm25 = lexical.scores(query.terms)
    best_possible = lexical.max_score(query.terms)
    if best_possible > 0:
        bm25 = bm25 / best_possible
    same_language = lexical.langs == query.language
    proposals = np.where(same_language, bm25, 0.0)
    if allowed is not None:
        proposals = np.where(np.isin(lexical.ids, allowed), proposals, 0.0)
    n_lex = min(pool, int(np.count_nonzero(proposals > 0)))
    lexical_rows = np.argpartition(-proposals, n_lex - 1)[:n_lex] if n_lex else np.zeros(0, np.int64)

    ids = np.union1d(dense_hits.ids, lexical.ids[lexical_rows])
    if len(ids) == 0:
        return []
    rows = lexical.rows_of(ids)
    dense = snapshot.dense.vectors(ids) @ query.vector
    sentence = dense.copy()
    for i, chunk_id in enumerate(ids):
        vectors = snapshot.sentences.of(int(chunk_id))
        if vectors is not None:
            sentence[i] = float((vectors @ query.vector).max())
    year_ids = snapshot.catalog.years_of(ids, query.years) if query.years else set()
    candidates = Candidates(
        ids=ids,
        dense=dense,
        sentence=sentence,
        lexical=bm25[rows],
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
