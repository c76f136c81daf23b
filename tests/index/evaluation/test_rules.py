"""Each hit rule, alone and combined, on real chunks of a real document."""

from __future__ import annotations

import pytest

from core.document import Document
from index.evaluation.rules import HitRule, fold
from ingest.chunking import ChunkingOptions, chunk_document

TEXT = (
    "# Meetings\n\n"
    "- في عام ٢٠١٧، عُقِدَ الاجتماعُ الخامس في جيبوتي.\n"
    "- In 2018 a workshop on mediation support\ntook place in Nairobi.\n"
    "- The 2019 meeting in Brussels discussed climate, peace and security.\n"
)
DOC = Document(doc_id="meetings", title="Meetings", text=TEXT, lang="en")
CHUNKS = chunk_document(DOC, ChunkingOptions(max_chars=80, min_chars=10))
ARABIC, NAIROBI, BRUSSELS = CHUNKS


def test_the_document_is_cut_one_event_per_chunk() -> None:
    assert [c.years for c in CHUNKS] == [(2017,), (2018,), (2019,)]


def test_doc_id_rule() -> None:
    assert HitRule(doc_id="meetings").matches(NAIROBI)
    assert not HitRule(doc_id="other").matches(NAIROBI)


def test_text_rule_folds_whitespace_case_and_arabic_spelling() -> None:
    assert HitRule(phrases=(fold("mediation support took place"),)).matches(NAIROBI)  # line break
    assert HitRule(phrases=(fold("NAIROBI"),)).matches(NAIROBI)
    assert HitRule(phrases=(fold("عقد الاجتماع الخامس"),)).matches(ARABIC)  # no diacritics
    assert HitRule(phrases=(fold("عام 2017"),)).matches(ARABIC)  # digits of either system
    assert not HitRule(phrases=(fold("Djibouti"),)).matches(NAIROBI)


def test_text_rule_alternatives() -> None:
    rule = HitRule(phrases=(fold("جيبوتي"), fold("Djibouti")))
    assert rule.matches(ARABIC) and not rule.matches(BRUSSELS)


@pytest.mark.parametrize(
    ("span", "hits"),
    [
        ((NAIROBI.start, NAIROBI.end), [NAIROBI]),
        ((NAIROBI.end - 1, NAIROBI.end + 1), [NAIROBI]),  # overlaps one character of each side
        ((NAIROBI.end, BRUSSELS.start), []),  # the gap between two chunks
        ((0, len(TEXT)), CHUNKS),
    ],
)
def test_span_rule_is_overlap(span: tuple[int, int], hits: list) -> None:
    rule = HitRule(doc_id="meetings", span=span)
    assert [c for c in CHUNKS if rule.matches(c)] == hits


def test_year_rule_in_either_digit_system() -> None:
    assert HitRule(years=(2017,)).matches(ARABIC)  # written ٢٠١٧
    assert not HitRule(years=(2017,)).matches(NAIROBI)


def test_rules_combine_with_and() -> None:
    assert HitRule(doc_id="meetings", years=(2019,), phrases=(fold("climate"),)).matches(BRUSSELS)
    assert not HitRule(doc_id="meetings", years=(2018,), phrases=(fold("climate"),)).matches(BRUSSELS)
    assert not HitRule(doc_id="other", years=(2019,)).matches(BRUSSELS)
    assert HitRule().is_empty and not HitRule(years=(2019,)).is_empty


def test_describe() -> None:
    rule = HitRule(doc_id="meetings", span=(3, 9), years=(2019,), phrases=("a", "b"))
    assert rule.describe() == "in meetings, overlapping 3-9, mentions 2019, contains 'a' or 'b'"
    assert HitRule(years=(2021, 2023)).describe() == "mentions 2021 or 2023"


def test_a_range_question_hits_any_of_its_years() -> None:
    assert HitRule(years=(2018, 2019)).matches(BRUSSELS)
    assert not HitRule(years=(2018, 2020)).matches(BRUSSELS)
