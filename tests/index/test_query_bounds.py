"""A 2,000-character question costs a bounded amount of analysis, counted (not timed).

What is counted: words looked up by the analyser, characters given to language detection,
terms sent to the lexical index, years matched against the catalog, and the characters of the
text that is embedded (the follow-up context included). The model's own cost per token is the
embedder's business (it caps tokens); everything before it is bounded here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import text.analyzer as analyzer
import text.language as language
from index.collection import QUESTION_LANGUAGE_SAMPLE, Collection
from index.search import MAX_FOLLOW_UP_CHARS, MAX_QUERY_YEARS
from text.analyzer import MAX_QUERY_TERMS, MAX_QUERY_TOKENS

MAX_QUESTION = 2000


@dataclass
class Work:
    words_analysed: int = 0
    language_chars: list[int] = field(default_factory=list)
    lexical_terms: list[int] = field(default_factory=list)
    years_looked_up: list[int] = field(default_factory=list)
    embedded_chars: list[int] = field(default_factory=list)


@pytest.fixture
def work(corpus_collection: Collection, monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    counted = Work()
    term = analyzer._term
    detect = language.detect_langs
    snapshot = corpus_collection.snapshot()
    lexical, catalog = type(snapshot.lexical), type(snapshot.catalog)  # whichever backend serves it
    search, max_score, knows_any = lexical.search, lexical.max_score, lexical.knows_any
    mentions_year = catalog.mentions_year
    embed = corpus_collection.embedder.embed_queries

    def counting_term(token: str) -> str | None:
        counted.words_analysed += 1
        return term(token)

    def counting_detect(text: str):  # type: ignore[no-untyped-def]
        counted.language_chars.append(len(text))
        return detect(text)

    def counting_search(self, terms, *args, **kwargs):  # type: ignore[no-untyped-def]
        counted.lexical_terms.append(len(terms))
        return search(self, terms, *args, **kwargs)

    def counting_max_score(self, terms, **kwargs):  # type: ignore[no-untyped-def]
        counted.lexical_terms.append(len(terms))
        return max_score(self, terms, **kwargs)

    def counting_knows_any(self, terms):  # type: ignore[no-untyped-def]
        counted.lexical_terms.append(len(terms))
        return knows_any(self, terms)

    def counting_mentions_year(self, years):  # type: ignore[no-untyped-def]
        years = list(years)
        counted.years_looked_up.append(len(years))
        return mentions_year(self, years)

    def counting_embed(texts):  # type: ignore[no-untyped-def]
        counted.embedded_chars.extend(len(t) for t in texts)
        return embed(texts)

    monkeypatch.setattr(analyzer, "_term", counting_term)
    monkeypatch.setattr(language, "detect_langs", counting_detect)
    monkeypatch.setattr(lexical, "search", counting_search)
    monkeypatch.setattr(lexical, "max_score", counting_max_score)
    monkeypatch.setattr(lexical, "knows_any", counting_knows_any)
    monkeypatch.setattr(catalog, "mentions_year", counting_mentions_year)
    monkeypatch.setattr(corpus_collection.embedder, "embed_queries", counting_embed)
    language.detect_language.cache_clear()
    yield counted
    language.detect_language.cache_clear()


def _question(words: list[str]) -> str:
    return " ".join(words)[:MAX_QUESTION]


LONG_QUESTIONS = {
    "one Arabic word": "ب" * MAX_QUESTION,
    "distinct words": _question([f"term{i}" for i in range(1000)]),
    "distinct Arabic words": _question([f"منظمة{chr(0x0628 + i % 20)}{i}" for i in range(1000)]),
    "one-letter words": _question(["x"] * 1000),
    "stop words": _question(["the"] * 1000),
    "years": _question([str(1900 + i % 290) for i in range(400)]),
}


@pytest.mark.parametrize("name", sorted(LONG_QUESTIONS))
def test_a_long_question_costs_bounded_analysis(corpus_collection: Collection, work: Work, name: str) -> None:
    question = LONG_QUESTIONS[name]
    assert len(question) <= MAX_QUESTION
    corpus_collection.ask(question, top_k=5, previous_question=question)

    # Each analysis stops after MAX_QUERY_TOKENS words: the query, the follow-up check, and
    # the sentences of the passages returned (short, cached per sentence).
    assert work.words_analysed <= 2 * MAX_QUERY_TOKENS + 2_000
    assert all(n <= QUESTION_LANGUAGE_SAMPLE for n in work.language_chars) and len(work.language_chars) <= 2
    assert work.lexical_terms and all(n <= MAX_QUERY_TERMS for n in work.lexical_terms)
    assert all(n <= MAX_QUERY_YEARS for n in work.years_looked_up)
    if name == "years":
        assert work.years_looked_up  # the years were looked up, a bounded number of them
    assert work.embedded_chars and max(work.embedded_chars) <= MAX_QUESTION


def test_a_short_follow_up_borrows_a_bounded_part_of_the_previous_question(
    corpus_collection: Collection, work: Work
) -> None:
    previous = _question([f"subject{i}" for i in range(1000)])
    corpus_collection.ask("and in 2019?", previous_question=previous)
    assert max(work.embedded_chars) <= MAX_FOLLOW_UP_CHARS + len(" and in 2019?")


def test_ordinary_questions_are_analysed_in_full(corpus_collection: Collection, work: Work) -> None:
    answer = corpus_collection.ask("Which organizations attended the meeting in Djibouti in 2017?")
    assert answer.hits and answer.hits[0].stored.chunk.doc_id.startswith("summary-2017")
    follow_up = corpus_collection.ask(
        "and in 2019?", previous_question="Where was the biennial meeting held in 2017?"
    )
    assert "2019" in {str(y) for y in follow_up.hits[0].stored.chunk.years}
