import pytest

from text.language import detect_language, detect_language_among
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


@pytest.mark.parametrize(
    ("text", "languages", "lang"),
    [
        # langdetect alone calls these Danish, Portuguese, Hungarian...: a collection in Arabic
        # and English takes them as English.
        ("meetings after 2019", ("ar", "en"), "en"),
        ("lorem ipsum dolor sit amet", ("en", "ar"), "en"),
        ("xkcd qwrt zzzz", ("ar", "en"), "en"),
        ("Who led the most recent meeting?", ("ar", "en"), "en"),
        ("من ترأس آخر اجتماع؟", ("en", "ar"), "ar"),
        # Of two languages in the question's script, langdetect's choice among them...
        ("Quelles organisations ont participé à la réunion de Djibouti ?", ("en", "fr", "ar"), "fr"),
        ("Which organizations attended the meeting in Djibouti?", ("fr", "en"), "en"),
        # ...else the collection's most common one in that script.
        ("zzzz", ("fr", "en"), "fr"),
        # A collection with nothing in the question's script: the script decides.
        ("Which organizations attended?", ("ar",), "en"),
        ("ما المنظمات؟", ("en",), "ar"),
        ("Which organizations attended?", (), "en"),
        ("2017", ("en", "ar"), "und"),
    ],
)
def test_detect_language_among_the_collections(text: str, languages: tuple[str, ...], lang: str) -> None:
    assert detect_language_among(text, languages) == lang


def test_langdetect_alone_gets_short_english_wrong() -> None:
    """What detect_language_among is for: these are not English to langdetect."""
    assert {detect_language(t) for t in ("meetings after 2019", "lorem ipsum dolor sit amet")} != {"en"}
