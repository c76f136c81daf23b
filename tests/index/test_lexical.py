from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.analyzer import analyze
from index.lexical import LexicalIndex


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
