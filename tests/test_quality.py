"""Retrieval quality floors on the bundled corpus with the real default model.

Each question names what a correct top passage must contain: a year (the event it is about) or
a phrase. Either language may answer: the Arabic source and the English summaries are both
correct citations. The floor is recall@1 ≥ 0.9 per question language.
"""

from __future__ import annotations

import pytest

from index.collection import Collection

pytestmark = pytest.mark.model

# (question, what the top passage must contain: an int year or alternative phrases)
ENGLISH: list[tuple[str, int | tuple[str, ...]]] = [
    ("Which organizations attended the meeting in 2017?", 2017),
    ("Where was the fifth biennial meeting held?", 2017),
    ("Who hosted the meeting in Djibouti?", 2017),
    ("What themes were discussed at the 2017 meeting?", 2017),
    ("Was ECCAS represented at one of the meetings?", 2017),
    ("Where did the 2018 workshop take place?", 2018),
    (
        "How many intergovernmental organizations sent mediation support staff to the Nairobi workshop?",
        2018,
    ),
    ("What was the focus of the workshop in Nairobi?", 2018),
    ("Where was the sixth meeting of regional organizations held?", 2019),
    ("Which meeting looked at the links between climate, peace and security?", 2019),
    ("Which topics were discussed in Brussels?", 2019),
    ("Was the 2021 meeting held online?", 2021),
    ("When did they discuss religion and mediation?", 2021),
    ("Which organizations took part in the 2021 technical meeting?", 2021),
    ("Who co-chaired the seventh biennial meeting?", 2023),
    ("Did the International Organisation of La Francophonie attend?", 2023),
    ("Which meeting had national dialogues and managing expert groups on its agenda?", 2023),
    ("Where did the idea for the meetings of regional organizations come from?", 2010),
    (
        "Which chapter of the UN Charter recognizes cooperation with regional organizations?",
        ("Chapter VIII", "الفصل الثامن"),
    ),
    (
        "What did António Guterres say about partnerships with regional organizations?",
        ("Guterres", "غوتيريش"),
    ),
    ("who showed up in djibouti", 2017),
    ("which orgs were at the 2023 one", 2023),
    ("nairobi workshop, what was it about?", 2018),
    ("meeting where election-related violence was on the table", 2017),
]

ARABIC: list[tuple[str, int | tuple[str, ...]]] = [
    ("ما المنظمات التي شاركت في اجتماع ٢٠١٧؟", 2017),
    ("أين عُقد الاجتماع الخامس للمنظمات الإقليمية؟", 2017),
    ("من استضاف الاجتماع في جيبوتي؟", 2017),
    ("ما المحاور التي ركزت عليها المناقشات في عام 2017؟", 2017),
    ("ما دور الهيئة الحكومية الدولية المعنية بالتنمية في اجتماع ٢٠١٧؟", 2017),
    ("أين نُظِّمَت ورشة العمل عام ٢٠١٨؟", 2018),
    ("كم عدد المنظمات الحكومية الدولية التي شاركت في ورشة نيروبي؟", 2018),
    ("أين انعقد الاجتماع السادس؟", 2019),
    ("ما المواضيع التي ناقشها اجتماع بروكسل؟", 2019),
    ("متى عقد اجتماع بروكسل؟", 2019),
    ("هل كان اجتماع ٢٠٢١ عبر الإنترنت؟", 2021),
    ("ما الذي نوقش في الاجتماع التقني عام ٢٠٢١؟", 2021),
    ("ما المنظمات التي شاركت في اجتماع 2021؟", 2021),
    ("هل ناقشوا الدين والوساطة؟", 2021),
    ("من ترأس الاجتماع السابع للمنظمات الإقليمية؟", 2023),
    ("هل شاركت المنظمة الدولية للناطقين بالفرنسية؟", 2023),
    ("ما القضايا التي تناولها جدول الأعمال في ٢٠٢٣؟", 2023),
    ("متى جاءت فكرة هذه المبادرة؟", 2010),
    (
        "أي فصل من ميثاق الأمم المتحدة يعترف بالتعاون مع المنظمات الإقليمية؟",
        ("الفصل الثامن", "Chapter VIII"),
    ),
    ("ماذا قال الأمين العام غوتيريش عن الشراكات مع المنظمات الإقليمية؟", ("غوتيريش", "Guterres")),
    ("مين اللي حضر اجتماع جيبوتي؟", 2017),
    ("وين صارت ورشة العمل وشو كان موضوعها سنة ٢٠١٨؟", 2018),
    ("شو المنظمات اللي شاركت سنة ٢٠٢٣؟", 2023),
    ("في أي اجتماع نوقشت الوساطة في العنف المرتبط بالانتخابات؟", 2017),
]


def _correct(hit_text: str, hit_years: tuple[int, ...], expected: int | tuple[str, ...]) -> bool:
    if isinstance(expected, int):
        return expected in hit_years
    return any(phrase in hit_text for phrase in expected)


def _recall_at_1(
    collection: Collection, questions: list[tuple[str, int | tuple[str, ...]]]
) -> tuple[float, list[str]]:
    misses = []
    for question, expected in questions:
        top = collection.ask(question, top_k=1).hits[0].stored.chunk
        if not _correct(top.text, top.years, expected):
            misses.append(f"{question!r} → {top.doc_id} {top.years}: {top.text[:80]!r}")
    return 1 - len(misses) / len(questions), misses


@pytest.mark.parametrize(("lang", "questions"), [("en", ENGLISH), ("ar", ARABIC)])
def test_recall_at_1_floor(default_collection: Collection, lang: str, questions: list) -> None:
    recall, misses = _recall_at_1(default_collection, questions)
    assert recall >= 0.9, f"{lang} recall@1 {recall:.2f}; misses:\n" + "\n".join(misses)


@pytest.mark.parametrize(
    "question",
    [
        "Which organizations attended the meeting in 2017?",
        "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟",
        "ما المنظمات التي شاركت في اجتماع 2017؟",
        "Which organizations attended the meeting in ٢٠١٧?",
    ],
)
def test_headline_question_returns_the_djibouti_passage_first(
    default_collection: Collection, question: str
) -> None:
    top = default_collection.ask(question, top_k=1).hits[0]
    assert 2017 in top.stored.chunk.years
    assert "جيبوتي" in top.stored.chunk.text or "Djibouti" in top.stored.chunk.text + top.stored.chunk.context
    assert top.highlights


@pytest.mark.parametrize(
    "question",
    ["Which organizations attended the meeting in 2017?", "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"],
)
def test_highlight_marks_the_sentence_with_the_list(default_collection: Collection, question: str) -> None:
    top = default_collection.ask(question, top_k=1).hits[0]
    _, text = default_collection.document(top.stored.chunk.doc_id)
    marked = [text[s:e] for s, e in top.highlights]
    assert any("ASEAN" in m for m in marked)  # the sentence that lists the organizations
    assert len(marked) <= 2


def test_follow_up_question_uses_the_previous_one(default_collection: Collection) -> None:
    answer = default_collection.ask("and in 2019?", previous_question="Where was the meeting held in 2017?")
    assert 2019 in answer.hits[0].stored.chunk.years
    answer = default_collection.ask("وفي ٢٠١٨؟", previous_question="أين عقد الاجتماع في ٢٠١٧؟")
    assert 2018 in answer.hits[0].stored.chunk.years
