from __future__ import annotations

import pytest

from text.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two? Three!", ["One.", "Two?", "Three!"]),
        ("هل حضر؟ نعم؛ حضر.", ["هل حضر؟", "نعم؛", "حضر."]),
        ("line one\nline two", ["line one", "line two"]),
        ("Version 2.5 is out. Yes.", ["Version 2.5 is out.", "Yes."]),
        ("He said (IGAD). Then left.", ["He said (IGAD).", "Then left."]),
        ('She said "yes." Then (it ended.) Done', ['She said "yes."', "Then (it ended.)", "Done"]),
        ("a  \n\n  b. \n c", ["a", "b.", "c"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text, 0, len(text), min_words=1)
    assert [text[s:e] for s, e in spans] == expected


def test_short_fragments_join_a_neighbour() -> None:
    text = "Short. This sentence has more than six words in it. Tiny bit. ثم جملة عربية طويلة بما يكفي من الكلمات؛ نعم."
    spans = split_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "Short. This sentence has more than six words in it. Tiny bit.",
        "ثم جملة عربية طويلة بما يكفي من الكلمات؛ نعم.",
    ]
