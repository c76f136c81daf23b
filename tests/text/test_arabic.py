import pytest

from text.arabic import light_stem, normalize
from text.script import has_arabic


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("مُنَظَّمَة", "منظمه"),  # diacritics removed, taa marbuta → haa
        ("الوســـاطة", "الوساطه"),  # tatweel removed
        ("أحمد إلى آسيا ٱلله", "احمد الي اسيا الله"),  # alef forms, alef maqsura
        ("مستشفى", "مستشفي"),
        ("٢٠١٧", "2017"),  # Arabic-Indic digits
        ("۲۰۱۹", "2019"),  # Eastern Arabic-Indic digits
        ("IGAD ASEAN", "igad asean"),  # Latin lower-cased
        ("عام ٢٠١٨م", "عام 2018م"),
        ("plain text 123", "plain text 123"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("المنظمات", "منظم"),  # ال + ات
        ("والمنظمات", "منظم"),  # وال counts as one prefix
        ("بالوساطه", "وساط"),  # بال + ه
        ("للسلام", "سلام"),  # لل
        ("فالاجتماع", "اجتماع"),
        ("كالعاده", "عاد"),
        ("الاقليميه", "اقليم"),  # ال + يه (ية after normalisation)
        ("المشاركون", "مشارك"),
        ("الدولتين", "دولت"),
        ("كتابها", "كتاب"),
        ("ال", "ال"),  # nothing left: unchanged
        ("الي", "ال"),  # no prefix (one letter would remain), then the suffix ي
        ("هي", "هي"),
    ],
)
def test_light_stem(token: str, stem: str) -> None:
    assert light_stem(token) == stem


def test_has_arabic() -> None:
    assert has_arabic("in Arabic: نص")
    assert not has_arabic("English 2017")
