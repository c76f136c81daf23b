"""Lexical retrieval in Milvus: its BM25 function over marja's analysed terms.

Each chunk stores the terms :func:`text.analyzer.analyze` gives (Arabic normalised and lightly
stemmed, English stemmed, stop words dropped), joined by spaces; Milvus's ``standard`` tokenizer
splits them back where marja did (they are runs of letters and digits) and its BM25 function
indexes them, with the same k1 and b as bm25s. A question is searched with its own analysed terms,
so both backends match the same words.

Milvus scores ``idf·tf·(k1+1)/(tf + k1·(1−b+b·dl/avgdl))``; bm25s's Lucene BM25 leaves out the
``(k1+1)``, so Milvus's scores are divided by it here and the two are in the same units. The
question's maximum (the sum of its terms' idf, which fusion divides BM25 by) comes from the
version's ``terms`` collection: each term's document frequency, counted when the version was
written, with the idf formula both engines use.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.backends.base import BM25_K1, LexicalHits, Scope
from index.milvus.client import errors, int_list, query_by_ids
from index.milvus.expressions import scope_filter, string_literal

logger = logging.getLogger(__name__)

RECENT_TERM_SETS = 64
"""Term sets whose document frequencies are kept per version (a version never changes)."""
EMPTY_TERMS = "_"
"""What a chunk without terms indexes: one token no question has (marja's terms never contain
``_``), so that, as in bm25s, it counts as a document of length one."""


def idf(document_frequency: float, documents: float) -> float:
    """BM25's idf as bm25s (Lucene) and Milvus compute it."""
    return math.log1p((documents - document_frequency + 0.5) / (document_frequency + 0.5))


class MilvusLexical:
    """BM25 over the chunks of one version in Milvus (a :class:`~index.backends.base.LexicalBackend`)."""

    def __init__(self, client: Any, *, uri: str, chunks: str, terms: str, size: int) -> None:
        self._client = client
        self._uri = uri
        self._chunks = chunks
        self._terms = terms
        self._size = size
        self._recent: OrderedDict[tuple[str, ...], dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def _bm25(self, terms: Sequence[str], *, limit: int, expression: str) -> tuple[np.ndarray, np.ndarray]:
        with errors(self._uri, "searching BM25"):
            results = self._client.search(
                self._chunks,
                data=[" ".join(terms)],
                anns_field="bm25",
                limit=limit,
                filter=expression,
                output_fields=[],
                search_params={"metric_type": "BM25"},
            )
        hits = [h for h in results[0] if h["distance"]]
        ids = np.array([h["id"] for h in hits], dtype=np.int64)
        # Milvus servers return the score; milvus-lite returns it negated, as a distance.
        scores = np.array([abs(h["distance"]) for h in hits], dtype=np.float64) / (BM25_K1 + 1.0)
        return ids, scores.astype(np.float32)

    def search(self, terms: Sequence[str], k: int, *, scope: Scope) -> LexicalHits:
        terms = list(terms)
        if not terms or k <= 0 or self._size == 0:
            return LexicalHits(
                ids=np.zeros(0, np.int64),
                scores=np.zeros(0, np.float32),
                score_of=lambda ids: np.zeros(len(ids), np.float32),
            )
        ids, scores = self._bm25(terms, limit=min(k, self._size), expression=scope_filter(scope))

        def score_of(wanted: np.ndarray) -> np.ndarray:
            out = np.zeros(len(wanted), dtype=np.float32)
            if len(wanted) == 0:
                return out
            found, values = self._bm25(
                terms, limit=len(wanted), expression=f"id in {int_list(wanted.tolist())}"
            )
            position = {int(i): n for n, i in enumerate(np.asarray(wanted).tolist())}
            for chunk_id, value in zip(found.tolist(), values.tolist(), strict=True):
                out[position[chunk_id]] = value
            return out

        return LexicalHits(ids=ids, scores=scores, score_of=score_of)

    def _frequencies(self, terms: Sequence[str]) -> dict[str, float]:
        """The document frequency of each of ``terms`` that a chunk contains (a question asks for
        its terms' twice: its BM25 maximum and whether it knows any; one round trip serves both)."""
        wanted = tuple(sorted(set(terms)))
        with self._lock:
            found = self._recent.get(wanted)
        if found is not None:
            return found
        with errors(self._uri, "reading term statistics"):
            rows = self._client.query(
                self._terms,
                filter=f"term in [{','.join(string_literal(t) for t in wanted)}] and df > 0",
                output_fields=["term", "df"],
                limit=len(wanted),
            )
        found = {row["term"]: float(row["df"]) for row in rows}
        with self._lock:
            self._recent[wanted] = found
            while len(self._recent) > RECENT_TERM_SETS:
                self._recent.popitem(last=False)
        return found

    def max_score(self, terms: Sequence[str], *, unseen: bool = False) -> float:
        terms = list(terms)
        if not terms or self._size == 0:
            return 0.0
        frequency = self._frequencies(terms)
        n = float(self._size)
        total = 0.0
        for term in terms:
            df = frequency.get(term)
            if df is not None:
                total += idf(df, n)
            elif unseen:
                total += idf(0.0, n)
        return total

    def knows_any(self, terms: Sequence[str]) -> bool:
        if not terms or self._size == 0:
            return False
        return bool(self._frequencies(terms))

    def langs_of(self, ids: np.ndarray) -> np.ndarray:
        wanted = np.asarray(ids, dtype=np.int64)
        if len(wanted) == 0:
            return np.zeros(0, "<U8")
        with errors(self._uri, "reading chunk languages"):
            rows = query_by_ids(
                self._client, self._chunks, np.unique(wanted).tolist(), field="id", output_fields=["lang"]
            )
        langs = {int(r["id"]): r["lang"] for r in rows}
        return np.array([langs[int(i)] for i in wanted.tolist()], dtype="<U8")
