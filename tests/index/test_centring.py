"""Per-language centring: statistics kept per version, fair ranking across languages, and no
change at all for a collection in one language."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.document import Document
from index.backends.base import Scope
from index.centring import MEANS, MIN_CHUNKS, SHRINK, CentredQuery, LanguageMeans
from index.collection import Collection
from index.records import Filters
from index.search import Query, gather
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder, LanguageBiasedEmbedder
from text.analyzer import analyze


def test_means_follow_additions_and_removals() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(10, 4))
    langs = ["ar"] * 6 + ["en"] * 4
    whole = LanguageMeans.of(vectors, langs, dim=4)
    assert whole.langs == ("ar", "en") and whole.counts.tolist() == [6, 4]
    np.testing.assert_allclose(whole.sums[0], vectors[:6].sum(axis=0))
    step = LanguageMeans.of(vectors[:7], langs[:7], dim=4).with_changes(added=(vectors[7:], langs[7:]))
    np.testing.assert_allclose(step.sums, whole.sums)
    fewer = whole.with_changes(removed=(vectors[6:], langs[6:]))
    assert fewer.langs == ("ar",) and not fewer.multilingual  # a language with no chunk left is gone


def test_a_language_needs_enough_chunks_and_its_mean_is_shrunk() -> None:
    vectors = np.eye(4)[[0, 0, 0, 1, 1]]
    means = LanguageMeans.of(vectors, ["ar", "ar", "ar", "en", "en"], dim=4)
    assert MIN_CHUNKS == 3 and means.qualified == ("ar",) and not means.multilingual
    assert LanguageMeans.of(np.eye(4)[[0] * 3 + [1] * 3], ["ar"] * 3 + ["en"] * 3, dim=4).multilingual
    overall = vectors.mean(axis=0)
    np.testing.assert_allclose(
        means.mean("ar"), (3 * np.eye(4)[0] + SHRINK * overall) / (3 + SHRINK), rtol=1e-6
    )
    np.testing.assert_allclose(means.mean("fr"), overall, rtol=1e-6)  # unknown language: the overall mean
    und = LanguageMeans.of(np.eye(4)[[0] * 3 + [1] * 3], ["und"] * 3 + ["en"] * 3, dim=4)
    assert not und.multilingual  # text without letters is no language


def test_centred_cosines_are_the_cosines_of_the_centred_vectors() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(8, 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    langs = ["ar"] * 4 + ["en"] * 3 + ["fr"]  # French: unknown to the statistics below
    means = LanguageMeans.of(vectors[:7], langs[:7], dim=6)
    q = rng.normal(size=6)
    centred = CentredQuery.of(q, lang="en", means=means)
    got = centred.cosines(vectors, centred.centre_index(langs))
    want_q = (q - means.mean("en")) / np.linalg.norm(q - means.mean("en"))
    centres = [means.mean(lang) for lang in langs]  # "fr" → the overall mean
    want = [(v - m) @ want_q / np.linalg.norm(v - m) for v, m in zip(vectors, centres, strict=True)]
    np.testing.assert_allclose(got[:, 1], want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[:, 0], vectors @ q, rtol=1e-5, atol=1e-6)


def doc(doc_id: str, text: str, lang: str) -> Document:
    return Document(doc_id=doc_id, title=doc_id, text=text, lang=lang)


ENGLISH = [
    doc("budget", "Budget planning for the finance committee of the year.", "en"),
    doc("weather", "Weather station maintenance schedule and calibration.", "en"),
    doc("library", "Library opening hours and the rules for borrowing books.", "en"),
    doc("sport", "The football league season starts in the autumn.", "en"),
]
ARABIC = [
    doc("igad", "اجتماع IGAD و ASEAN في جيبوتي لمناقشة الوساطة.", "ar"),
    doc("food", "وصفات الطبخ التقليدية من المطبخ الشامي.", "ar"),
    doc("trees", "زراعة الأشجار في الحدائق العامة خلال الربيع.", "ar"),
]


def test_means_are_stored_in_the_version_and_loaded_back(tmp_path: Path) -> None:
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    collection.ingest(ENGLISH + ARABIC)
    snapshot = collection.snapshot()
    assert snapshot.manifest.languages == {"ar": 3, "en": 4}
    ids = snapshot.dense.all_ids()
    expected = LanguageMeans.of(snapshot.dense.vectors(ids), snapshot.lexical.langs_of(ids).tolist(), dim=64)
    np.testing.assert_allclose(snapshot.means.sums, expected.sums, rtol=1e-6, atol=1e-6)
    # Removing a document updates them from the change alone.
    collection.remove("food")
    snapshot = collection.snapshot()
    ids = snapshot.dense.all_ids()
    expected = LanguageMeans.of(snapshot.dense.vectors(ids), snapshot.lexical.langs_of(ids).tolist(), dim=64)
    assert snapshot.means.counts.tolist() == [2, 4] and not snapshot.means.multilingual
    np.testing.assert_allclose(snapshot.means.sums, expected.sums, rtol=1e-5, atol=1e-5)
    # Loaded again (another process), they are the stored ones.
    reloaded = open_collection(tmp_path / "data", FakeEmbedder()).snapshot()
    np.testing.assert_array_equal(reloaded.means.sums, snapshot.means.sums)


@pytest.mark.local_files
def test_a_version_written_before_the_means_gets_them_computed(tmp_path: Path) -> None:
    collection = open_collection(tmp_path / "data", FakeEmbedder())
    collection.ingest(ENGLISH + ARABIC)
    snapshot = collection.snapshot()
    assert snapshot.files is not None and (snapshot.files.path / MEANS).exists()
    expected = snapshot.means
    (snapshot.files.path / MEANS).unlink()
    reloaded = open_collection(tmp_path / "data", FakeEmbedder()).snapshot()
    np.testing.assert_allclose(reloaded.means.sums, expected.sums, rtol=1e-5, atol=1e-5)
    # ...once: they are saved into the version, and the next load reads them.
    assert (snapshot.files.path / MEANS).exists()
    again = LanguageMeans.load(snapshot.files.path, dim=64)
    assert again is not None
    np.testing.assert_allclose(again.sums, expected.sums, rtol=1e-5, atol=1e-5)


def test_the_answer_in_the_other_language_comes_first(tmp_path: Path) -> None:
    embedder = LanguageBiasedEmbedder()
    collection = open_collection(tmp_path / "data", embedder)
    collection.ingest(ENGLISH + ARABIC)
    question = "Did IGAD and ASEAN meet about mediation?"
    snapshot = collection.snapshot()
    assert snapshot.means.multilingual
    # Raw cosines put every English passage above the Arabic one that answers...
    q = collection.query_vector(question)
    ids = snapshot.dense.all_ids()
    raw = dict(zip(ids.tolist(), (snapshot.dense.vectors(ids) @ q).tolist(), strict=True))
    stored = snapshot.catalog.chunks(ids) if snapshot.catalog else {}
    by_doc = {stored[i].chunk.doc_id: score for i, score in raw.items()}
    assert max(by_doc[d.doc_id] for d in ENGLISH) > by_doc["igad"]
    # ...the language-fair ranking does not.
    answer = collection.ask(question, top_k=3)
    assert answer.hits[0].stored.chunk.doc_id == "igad"
    candidates = gather(snapshot, collection.prepare(question), filters=Filters())
    assert candidates is not None and candidates.centred_dense is not None


def _old_scores(collection: Collection, question: str) -> dict[str, float]:
    """The one-language formula, written out independently: ½ chunk cosine + ½ best sentence
    cosine + 0.12 · BM25 / the question's maximum BM25."""
    snapshot = collection.snapshot()
    assert snapshot.catalog is not None
    q = collection.query_vector(question)
    terms = analyze(question)
    best = snapshot.lexical.max_score(terms)
    out = {}
    ids = snapshot.dense.all_ids()
    bm25 = dict(
        zip(
            ids.tolist(), snapshot.lexical.search(terms, 1, scope=Scope()).score_of(ids).tolist(), strict=True
        )
    )
    sentence_vectors = snapshot.sentences.subset(ids)
    for cid, stored in snapshot.catalog.chunks(ids).items():
        d = float(snapshot.dense.vectors(np.array([cid]))[0] @ q)
        sentences = sentence_vectors.of(cid)
        s = float((sentences @ q).max()) if sentences is not None else d
        lexical = bm25[cid] / best if best > 0 else 0.0
        key = f"{stored.chunk.doc_id}#{stored.chunk.ordinal}"
        out[key] = max(out.get(key, -9.0), (d + s) / 2 + 0.12 * lexical)
    return out


@pytest.mark.parametrize(
    "question",
    [
        "Which organizations attended the biennial meeting?",
        "Where was the workshop held?",
        "Which meeting looked at climate, peace and security?",
        "What did the Secretary-General say about partnerships?",
    ],
)
def test_a_one_language_collection_ranks_exactly_as_before(
    tmp_path: Path, corpus_documents: list[Document], question: str
) -> None:
    english = [d for d in corpus_documents if d.lang == "en"]
    # A single Arabic chunk does not make the collection multilingual.
    stray = doc("note-ar", "ملاحظة قصيرة.", "ar")
    collection = open_collection(tmp_path / "data", LanguageBiasedEmbedder())
    collection.ingest([*english, stray])
    assert not collection.snapshot().means.multilingual
    assert collection.prepare(question).language == "en"  # the formula below is the same-language one
    expected = _old_scores(collection, question)
    hits = collection.ask(question, top_k=len(expected)).hits
    got = [f"{h.stored.chunk.doc_id}#{h.stored.chunk.ordinal}" for h in hits]
    assert got == sorted(expected, key=lambda k: -expected[k])
    np.testing.assert_allclose([h.score for h in hits], [expected[k] for k in got], rtol=1e-5)


def test_query_prepare_drops_range_edges_from_terms() -> None:
    query = Query.prepare("meetings before 2019 in Nairobi", language="en", vector=np.ones(4))
    assert "2019" not in query.terms and "nairobi" in query.terms
    query = Query.prepare("the meeting in 2019", language="en", vector=np.ones(4))
    assert "2019" in query.terms
