import pytest

from text.language import detect_language
from text.years import years_mentioned


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Which organizations attended the meeting in 2017?", "en"),
        ("ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", "ar"),
        ("and in 2019?", "en"),  # short: decided by script
        ("وفي ٢٠١٩؟", "ar"),
        ("IGAD", "en"),  # langdetect alone says Indonesian
        ("Quelles organisations ont participé à la réunion de Djibouti ?", "fr"),
        ("2017", "und"),
        ("؟!", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detection_is_deterministic() -> None:
    text = "Mediation support in a changing conflict landscape"
    detect_language.cache_clear()
    first = detect_language(text)
    detect_language.cache_clear()
    assert detect_language(text) == first


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("في عام ٢٠١٧، عُقد الاجتماع", (2017,)),
        ("in 2019 and 2021", (2019, 2021)),
        ("عام 2023م و۲۰۱۸", (2018, 2023)),
        ("20170 or 12017 or 201", ()),
        ("1999-2001", (1999, 2001)),
    ],
)
def test_years_mentioned(text: str, years: tuple[int, ...]) -> None:
    assert years_mentioned(text) == years
