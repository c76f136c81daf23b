from __future__ import annotations

import pytest

from text.temporal import EARLIEST, LATEST, TimeIntent, parse_time_intent


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("Who led the most recent meeting?", LATEST),
        ("What was the latest workshop about?", LATEST),
        ("Which was the last meeting of regional organizations?", LATEST),
        ("What happened recently?", LATEST),
        ("What was the first meeting?", EARLIEST),
        ("the earliest meetings", EARLIEST),
        ("من ترأس آخر اجتماع؟", LATEST),
        ("ما هو أحدث تقرير؟", LATEST),
        ("ما الذي نوقش في الاجتماع الأخير؟", LATEST),
        ("ما هو الاجتماع الأول؟", EARLIEST),
        ("متى عقد أول اجتماع؟", EARLIEST),
        ("ما أقدم ورشة عمل؟", EARLIEST),
        # Not about the order of events:
        ("What is the last name of the player?", None),
        ("Who is the oldest quarterback?", None),
        ("هل هناك اجتماع آخر؟", None),  # آخر after its noun: "another meeting"
        ("ما هي أول مشكلة واجهها رواد الفضاء؟", None),
        ("Which organizations attended the meeting in 2017?", None),
    ],
)
def test_order(question: str, order: str | None) -> None:
    assert parse_time_intent(question).order == order


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("meetings after 2019", 2020, None),
        ("What happened since 2019?", 2019, None),
        ("Which meetings took place before 2019?", None, 2018),
        ("meetings until 2021", None, 2021),
        ("events prior to 2018", None, 2017),
        ("What happened between 2017 and 2021?", 2017, 2021),
        ("from 2017 to 2019", 2017, 2019),
        ("the 2017–2021 meetings", 2017, 2021),
        ("the 2017-2021 meetings", 2017, 2021),
        ("بعد ٢٠١٩", 2020, None),
        ("ما الاجتماعات التي عقدت بعد عام ٢٠١٩؟", 2020, None),
        ("منذ عام 2019", 2019, None),
        ("قبل ٢٠٢٠", None, 2019),
        ("حتى ٢٠٢١", None, 2021),
        ("بين ٢٠١٧ و٢٠٢١", 2017, 2021),
        ("من ٢٠١٨ إلى ٢٠٢١", 2018, 2021),
        ("وبعد ۲۰۱۹؟", 2020, None),  # Eastern Arabic-Indic digits, with the conjunction
    ],
)
def test_ranges(question: str, start: int | None, end: int | None) -> None:
    intent = parse_time_intent(question)
    assert (intent.start, intent.end) == (start, end)
    assert intent.years == ()  # the edges of a range are not years asked about
    assert intent.bounds


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("Which organizations attended the meeting in 2017?", (2017,)),
        ("ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", (2017,)),
        ("Compare 2017 and 2019", (2017, 2019)),
        ("before the meeting", ()),
        ("after 12 hours", ()),  # not a year
        ("في عام 3000", ()),
    ],
)
def test_years(question: str, years: tuple[int, ...]) -> None:
    assert parse_time_intent(question).years == years


def test_nothing_about_time_is_empty() -> None:
    assert parse_time_intent("Where was the workshop held?").is_empty
    assert not parse_time_intent("in 2017").is_empty


def test_in_range() -> None:
    intent = TimeIntent(start=2018, end=2020)
    assert [y for y in range(2016, 2023) if intent.in_range(y)] == [2018, 2019, 2020]
    assert TimeIntent(start=2020).in_range(2999)


def test_only_the_start_of_a_long_input_is_read() -> None:
    # Bounded work whatever a client sends: text past the first few thousand characters is ignored.
    intent = parse_time_intent("between 2017 and 2019 " + "x " * 50_000 + "in 2030")
    assert (intent.start, intent.end, intent.years) == (2017, 2019, ())
