"""Arabic-aware text normalisation for matching (never for display) and a light stemmer.

The normaliser folds the spelling variation that separates a question from the passage that
answers it: diacritics and tatweel, the alef forms, alef maqsura, taa marbuta, the two Arabic
digit systems, and Latin case. ``NORMALISER_VERSION`` is recorded in every index manifest:
change it whenever the output of :func:`normalize` changes, so old indexes are rebuilt.
"""

from __future__ import annotations

NORMALISER_VERSION = "ar-norm-1"

_DIACRITICS = (
    "\u0610\u0611\u0612\u0613\u0614\u0615\u0616\u0617\u0618\u0619\u061a"  # Quranic marks
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655"  # harakat, shadda, sukun
    "\u0656\u0657\u0658\u0659\u065a\u065b\u065c\u065d\u065e\u065f"
    "\u0670"  # superscript alef
    "\u06d6\u06d7\u06d8\u06d9\u06da\u06db\u06dc\u06df\u06e0\u06e1\u06e2\u06e3\u06e4"
    "\u06e7\u06e8\u06ea\u06eb\u06ec\u06ed"
)
_TATWEEL = "\u0640"

_TABLE: dict[int, str | None] = {ord(c): None for c in _DIACRITICS + _TATWEEL}
_TABLE.update(
    {
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("آ"): "ا",
        ord("ٱ"): "ا",
        ord("ى"): "ي",
        ord("ة"): "ه",
        ord("ی"): "ي",  # Persian yeh, common in copied text
        ord("ک"): "ك",  # Persian kaf
    }
)
_TABLE.update({0x0660 + i: str(i) for i in range(10)})  # Arabic-Indic digits
_TABLE.update({0x06F0 + i: str(i) for i in range(10)})  # Eastern Arabic-Indic digits


def normalize(text: str) -> str:
    """Fold ``text`` for matching; the result is never shown to a user.

    >>> normalize("ٱلْمُنَظَّمَة ٢٠١٧ ASEAN")
    'المنظمه 2017 asean'
    """
    return text.translate(_TABLE).lower()


def normalize_digits(text: str) -> str:
    """Map Arabic-Indic and Eastern Arabic-Indic digits to ASCII, leaving the rest alone."""
    return text.translate(_DIGITS_ONLY)


_DIGITS_ONLY = {k: v for k, v in _TABLE.items() if isinstance(v, str) and v.isdigit()}

# Longest first, so وال is stripped as one prefix and not as و + ال.
_PREFIXES = ("وال", "بال", "كال", "فال", "ال", "لل")
# Written after normalisation (ة is already ه, so ية is يه).
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
_MIN_STEM = 2


def light_stem(token: str) -> str:
    """Strip one definite-article prefix and one common suffix from a normalised Arabic token.

    An affix is removed only when at least two characters remain.

    >>> light_stem("والمنظمات")
    'منظم'
    """
    for prefix in _PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= _MIN_STEM:
            token = token[len(prefix) :]
            break
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM:
            token = token[: -len(suffix)]
            break
    return token
