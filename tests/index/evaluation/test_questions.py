"""Reading question sets: three formats, one meaning; every problem named with its row."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.errors import InvalidQuestionSet
from index.evaluation import questions as qs
from index.evaluation.questions import parse_question_set, read_question_set
from index.evaluation.rules import HitRule
from index.records import Filters

ROWS = [
    {"id": "q1", "question": "Where was the 2017 meeting?", "year": 2017, "lang": "en"},
    {"question": "من استضاف الاجتماع؟", "doc_id": "un-page", "text": "جيبوتي", "filters": {"lang": "ar"}},
    {"question": "What span?", "doc_id": "un-page", "start": 10, "end": 20},
    {"question": "Who won the World Cup?", "answerable": False},
]


def test_jsonl_csv_and_json_mean_the_same(tmp_path: Path) -> None:
    jsonl = tmp_path / "set.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n\n", encoding="utf-8")
    as_json = tmp_path / "set.json"
    as_json.write_text(json.dumps({"questions": ROWS}, ensure_ascii=False), encoding="utf-8")
    csv = tmp_path / "set.csv"
    csv.write_text(
        "id,question,doc_id,text,start,end,year,lang,filters,answerable\n"
        "q1,Where was the 2017 meeting?,,,,,2017,en,,\n"
        'x,من استضاف الاجتماع؟,un-page,جيبوتي,,,,,"{""lang"": ""ar""}",\n'
        "y,What span?,un-page,,10,20,,,,\n"
        "z,Who won the World Cup?,,,,,,,,false\n",
        encoding="utf-8-sig",  # spreadsheets write a byte-order mark
    )
    parsed = [read_question_set(p) for p in (jsonl, as_json, csv)]
    strip = [[(q.question, q.rule, q.lang, q.filters, q.answerable) for q in p] for p in parsed]
    assert strip[0] == strip[1] == strip[2]
    first, second, third, fourth = parsed[0]
    assert first.id == "q1" and first.rule == HitRule(years=(2017,)) and first.lang == "en"
    assert second.rule == HitRule(doc_id="un-page", phrases=("جيبوتي",)) and second.filters == Filters(
        lang="ar"
    )
    assert third.rule == HitRule(doc_id="un-page", span=(10, 20))
    assert not fourth.answerable and fourth.rule.is_empty
    assert [q.where for q in parsed[0]] == ["line 1", "line 2", "line 3", "line 4"]
    assert [q.where for q in parsed[2]] == ["row 2", "row 3", "row 4", "row 5"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"question": "q", "doc-id": "x"}, "unknown field 'doc-id'"),
        ({"question": "   ", "year": 2017}, "question: is empty"),
        ({"question": "q"}, "say what counts as a hit"),
        ({"question": "q", "start": 1, "end": 5}, "need the 'doc_id'"),
        ({"question": "q", "doc_id": "d", "start": 5}, "'start' and 'end' go together"),
        ({"question": "q", "doc_id": "d", "start": 5, "end": 5}, "greater than 'start'"),
        ({"question": "q", "answerable": False, "year": 2017}, "takes no hit rule"),
        ({"question": "q", "year": 17}, "year"),
        ({"question": "q", "doc_id": "../etc"}, "doc_id"),
        ({"question": "q", "text": []}, "give 1 to 20 texts"),
        ({"question": "q", "text": " \n "}, "a text is empty"),
        ({"question": "q", "text": "x" * 2001}, "over the limit"),
        ({"question": "x" * 2001, "year": 2017}, "question"),
        ({"question": "q", "year": 2017, "filters": {"yr": 2017}}, "unknown field 'filters.yr'"),
        ({"question": "q", "year": 2017, "lang": "arabic"}, "lang"),
        ({"question": "bad \ud800", "year": 2017}, "question: Input should be a valid string"),
        (["not", "an", "object"], "an object"),
    ],
)
def test_bad_rows_are_named(row: object, message: str) -> None:
    text = json.dumps({"question": "fine", "year": 2017}) + "\n" + json.dumps(row) + "\n"
    with pytest.raises(InvalidQuestionSet) as e:
        parse_question_set(text, suffix=".jsonl")
    assert str(e.value).startswith("line 2: ") and message in str(e.value)


def test_every_bad_row_is_reported_at_once_up_to_a_limit() -> None:
    text = "\n".join(json.dumps({"question": f"q{i}"}) for i in range(15))
    with pytest.raises(InvalidQuestionSet) as e:
        parse_question_set(text, suffix=".jsonl")
    message = str(e.value)
    assert message.count("say what counts as a hit") == 10 and "(and 5 more)" in message


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        ("", ".jsonl", "no questions"),
        ('{"question": "q", "year": 2017}\n{oops\n', ".jsonl", "line 2: not valid JSON"),
        ('{"question": "q"', ".json", "not valid JSON"),
        ('{"q": []}', ".json", "a list of questions"),
        ("[" * 100_000 + "]" * 100_000, ".json", "not valid JSON"),
        ("text,year\nq,2017\n", ".csv", "'question' column"),
        ("question,year,colour\nq,2017,red\n", ".csv", "unknown column 'colour'"),
        ("question,year\nq,2017,extra\n", ".csv", "row 2: more cells"),
        ('question,year,filters\nq,2017,"{bad"\n', ".csv", "row 2: filters"),
        ("question,year\nq,2017\n", ".tsv", "unsupported format '.tsv'"),
        (
            '{"id": "a", "question": "q", "year": 2017}\n{"id": "a", "question": "r", "year": 2018}',
            ".jsonl",
            "'a'",
        ),
    ],
)
def test_bad_files(text: str, suffix: str, message: str) -> None:
    with pytest.raises(InvalidQuestionSet, match=re.escape(message)):
        parse_question_set(text, suffix=suffix)


def test_a_json_string_may_hold_a_line_separator() -> None:
    (q,) = parse_question_set(
        json.dumps({"question": "a\u2028b", "year": 2017}, ensure_ascii=False), suffix=".jsonl"
    )
    assert q.question == "a\u2028b"


def test_sizes_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qs, "MAX_QUESTIONS", 3)
    rows = "\n".join(json.dumps({"question": f"q{i}", "year": 2017}) for i in range(4))
    with pytest.raises(InvalidQuestionSet, match="more than 3 questions"):
        parse_question_set(rows, suffix=".jsonl")
    monkeypatch.setattr(qs, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.jsonl"
    big.write_text(rows + " " * 100, encoding="utf-8")
    with pytest.raises(InvalidQuestionSet, match="over the limit of 100 bytes"):
        read_question_set(big)


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidQuestionSet, match=r"missing\.jsonl: cannot read"):
        read_question_set(tmp_path / "missing.jsonl")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("question,year\nمن,2017\n".encode("cp1256"))
    with pytest.raises(InvalidQuestionSet, match=r"latin\.csv: not UTF-8"):
        read_question_set(latin)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n', encoding="utf-8")
    with pytest.raises(InvalidQuestionSet, match=r"bad.jsonl: line 1: say what counts"):
        read_question_set(bad)
