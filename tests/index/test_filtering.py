"""Which chunks a request's filters allow on the local backend, against the catalog's chunks
checked one by one (on Milvus filters are expressions: tests/index/milvus/test_expressions.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from core.document import Document
from index.backends.bm25s_lexical import Bm25sLexical
from index.backends.faiss_dense import FaissDense
from index.backends.local_scope import LocalScopes
from index.collection import Collection
from index.records import Filters

pytestmark = pytest.mark.local_files


def scopes_of(collection: Collection) -> LocalScopes:
    dense = collection.snapshot().dense
    assert isinstance(dense, FaissDense)
    return dense.scopes


def expected(collection: Collection, filters: Filters) -> list[int]:
    snapshot = collection.snapshot()
    assert snapshot.catalog is not None
    kinds = {d.doc_id: d.kind for d in snapshot.catalog.documents()}
    chunks = snapshot.catalog.chunks(snapshot.dense.all_ids())
    return sorted(
        i
        for i, s in chunks.items()
        if (filters.lang is None or s.chunk.lang == filters.lang)
        and (filters.doc_id is None or s.chunk.doc_id == filters.doc_id)
        and (filters.kind is None or kinds[s.chunk.doc_id] == filters.kind)
        and (filters.year is None or filters.year in s.chunk.years)
    )


def test_every_combination_of_filters(corpus_collection: Collection) -> None:
    snapshot = corpus_collection.snapshot()
    lexical = snapshot.lexical
    assert isinstance(lexical, Bm25sLexical)
    scopes = scopes_of(corpus_collection)
    options = {
        "lang": [None, "ar", "en", "fr"],
        "doc_id": [None, "un-regional-organizations", "summary-2019-sixth-meeting-brussels", "missing"],
        "kind": [None, "summary", "page", "missing"],
        "year": [None, 2017, 2019, 1999],
    }
    nonempty = 0
    for values in itertools.product(*options.values()):
        filters = Filters(**dict(zip(options, values, strict=True)))  # type: ignore[arg-type]
        allowed = scopes.allowed(filters)
        if filters.is_empty():
            assert allowed is None
            continue
        assert allowed is not None
        want = expected(corpus_collection, filters)
        assert allowed.ids.tolist() == want, filters
        assert np.flatnonzero(allowed.rows).tolist() == sorted(
            lexical.index.rows_of(np.array(want, np.int64)).tolist()
        )
        nonempty += bool(want)
    assert nonempty > 20


def test_a_kind_is_looked_up_once_per_version(corpus_collection: Collection) -> None:
    scopes = scopes_of(corpus_collection)
    first = scopes.allowed(Filters(kind="summary"))
    assert first is not None and first.key == "kind:summary" and len(first.ids)
    assert scopes.allowed(Filters(kind="summary")).ids is first.ids  # type: ignore[union-attr]
    corpus_collection.ingest(
        [Document(doc_id="new", title="New", text="A new summary.", lang="en", kind="summary")]
    )
    after = scopes_of(corpus_collection).allowed(Filters(kind="summary"))
    assert after is not None and len(after.ids) == len(first.ids) + 1
