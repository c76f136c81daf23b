import pytest

from text.ordinals import MAX_ORDINAL, chunk_ordinals, ordinals_mentioned


@pytest.mark.parametrize(
    ("text", "ordinals"),
    [
        ("Where was the eighth meeting held?", (8,)),
        ("the 8th biennial meeting", (8,)),
        ("the twenty-first session", (21,)),
        ("the seventh biennial meeting of regional organizations", (7,)),
        ("عقد الاجتماع الثامن للمنظمات الإقليمية في الدوحة", (8,)),
        ("الدورة الحادية عشرة", (11,)),
        ("الاجتماع الحادي والعشرون", (21,)),
        ("الاجتماع الـ٨", (8,)),
        ("وللاجتماع الثامن", (8,)),
        ("the sixth and the seventh meetings", (6, 7)),
    ],
)
def test_ordinals_that_number_an_event(text: str, ordinals: tuple[int, ...]) -> None:
    assert ordinals_mentioned(text) == ordinals


@pytest.mark.parametrize(
    "text",
    [
        "the fifth chapter of the report's annex",  # "report" is an event, but 4 words away
        "Chapter VIII: الفصل الثامن من ميثاق الأمم المتحدة",  # a chapter is no event
        "a second time",
        "the first meeting",  # "first" is an order (text.temporal), not an ordinal
        "the 2019 meeting",  # a year, not "2019th"
        f"the {MAX_ORDINAL + 1}th meeting",
    ],
)
def test_what_is_not_an_ordinal_of_an_event(text: str) -> None:
    assert ordinals_mentioned(text) == ()


def test_a_chunk_has_the_ordinals_of_its_headings_too() -> None:
    assert chunk_ordinals("The eighth meeting, Doha", "Delegates discussed mediation.") == (8,)


def test_long_and_repetitive_texts_are_bounded() -> None:
    many = " ".join(f"the {n}th meeting" for n in range(2, 200))
    assert len(ordinals_mentioned(many)) == 16
    assert ordinals_mentioned("meeting " * 100_000 + "the eighth meeting") == ()  # past what is read
