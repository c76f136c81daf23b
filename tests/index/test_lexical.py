from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.backends.bm25s_lexical import LexicalIndex
from text.analyzer import analyze


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", ["منظم", "شاركت", "اجتماع", "2017"]),
        ("المُنَظَّمَاتُ", ["منظم"]),  # diacritics do not matter
        (
            "Which organizations attended the meeting in 2017?",
            ["organiz", "attend", "meet", "2017"],
        ),
        ("(IGAD) ٢٠١٨", ["igad", "2018"]),
    ],
)
def test_analyze_keeps_arabic_and_normalises(text: str, terms: list[str]) -> None:
    assert analyze(text) == terms


def build(texts: list[str], langs: list[str] | None = None) -> LexicalIndex:
    return LexicalIndex.build(
        np.arange(10, 10 + len(texts), dtype=np.int64),
        [analyze(t) for t in texts],
        langs or ["ar"] * len(texts),
    )


def test_arabic_question_finds_arabic_passage_across_spelling_variants() -> None:
    index = build(
        [
            "عُقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي عام ٢٠١٧",
            "ورشة عمل في نيروبي عام 2018 حول خدمات دعم الوساطة",
            "الاجتماع السادس في بروكسل",
        ]
    )
    scores = index.scores(analyze("اين عقد اجتماع المنظمات الاقليمية في 2017"))
    assert int(np.argmax(scores)) == 0
    assert index.max_score(analyze("اين عقد اجتماع المنظمات الاقليمية في 2017")) >= scores.max()


def test_max_score_bounds_every_score() -> None:
    texts = ["a b c d", "a a a a a a b", "c d e", "e e e e e e e e e e e e", "b"]
    index = build(texts, ["en"] * 5)
    for query in (["a"], ["a", "b"], ["e", "e"], ["a", "b", "c", "d", "e"]):
        assert index.scores(query).max() <= index.max_score(query) + 1e-6


def test_unknown_terms_score_zero_and_save_load(tmp_path: Path) -> None:
    index = build(["نص عربي", "نص آخر"])
    assert not index.scores(["zzz"]).any() and index.max_score(["zzz"]) == 0.0
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    np.testing.assert_allclose(loaded.scores(["نص"]), index.scores(["نص"]))
    assert list(loaded.langs) == ["ar", "ar"]
    np.testing.assert_array_equal(loaded.rows_of(np.array([11, 10])), [1, 0])


def test_scores_match_bm25s_including_repeated_terms(tmp_path: Path) -> None:
    texts = ["a b c d", "a a a a a a b", "c d e", "e e e e e e e e e e e e", "b", "f"]
    index = build(texts, ["en"] * 6)
    index.save(tmp_path / "lex")
    for loaded in (index, LexicalIndex.load(tmp_path / "lex")):
        bm25 = loaded._bm25
        assert bm25 is not None
        for query in (["a"], ["a", "b", "a"], ["e", "e", "zzz"], ["a", "b", "c", "d", "e", "f"]):
            expected = bm25.get_scores_from_ids(bm25.get_tokens_ids(query))
            np.testing.assert_allclose(loaded.scores(query), expected, rtol=1e-6)


def test_language_and_row_masks() -> None:
    index = build(["one", "two", "three", "four"], ["ar", "en", "ar", "fr"])
    np.testing.assert_array_equal(index.language_mask("ar"), [True, False, True, False])
    assert index.language_mask("ar") is index.language_mask("ar")  # computed once
    assert not index.language_mask("de").any()
    np.testing.assert_array_equal(index.row_mask(np.array([13, 10, 99])), [True, False, False, True])
    assert not index.row_mask(np.zeros(0, np.int64)).any()


def _reference_best(scores: np.ndarray, k: int, mask: np.ndarray | None) -> set[int]:
    ok = scores > 0 if mask is None else (scores > 0) & mask
    rows = np.flatnonzero(ok)
    return set(rows[np.argsort(-scores[rows], kind="stable")[:k]].tolist())


@pytest.mark.parametrize("k", [0, 1, 3, 50])
@pytest.mark.parametrize("vocabulary", [40, 2000])  # long columns (scan all rows) and short ones
def test_search_returns_the_best_scoring_rows_within_the_mask(k: int, vocabulary: int) -> None:
    rng = np.random.default_rng(k)
    words = [f"w{i}" for i in range(vocabulary)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 12)))) for _ in range(300)]
    index = build(texts, ["ar" if i % 3 else "en" for i in range(300)])
    for query in (["w1"], ["w1", "w2", "w1"], ["w3", "w5", "w7", "w11", "zzz"], [f"w{i}" for i in range(30)]):
        for mask in (None, index.language_mask("ar"), index.row_mask(np.arange(10, 60))):
            hits = index.search(query, k, mask=mask)
            np.testing.assert_allclose(hits.scores, index.scores(query))
            assert len(hits.rows) == len(set(hits.rows.tolist())) <= k
            expected = _reference_best(hits.scores, k, mask)
            # Equal scores may be exchanged at the cut: compare the scores picked.
            assert sorted(hits.scores[hits.rows]) == sorted(hits.scores[list(expected)])


def test_search_without_matching_terms_finds_nothing() -> None:
    index = build(["one two", "two three"], ["en", "en"])
    hits = index.search(["zzz"], 5)
    assert len(hits.rows) == 0 and not hits.scores.any()
    assert len(LexicalIndex.build(np.zeros(0, np.int64), [], []).search(["one"], 5).rows) == 0
