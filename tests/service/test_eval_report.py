"""The evaluation report: one model for JSON, text and a self-contained, escaped HTML page."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from core.document import Document
from index.collection import Collection
from index.evaluation.questions import parse_question_set
from index.evaluation.run import evaluate
from service.eval_html import eval_html
from service.eval_presenter import eval_report, eval_text
from service.eval_schemas import EvalReport
from tests.conftest import open_collection
from tests.fakes import FakeEmbedder

HOSTILE = '<script>alert("x")</script><img src="https://evil.example/p.png" onerror="steal()">'
QUESTIONS = [
    {
        "id": "dj",
        "question": "Which meeting was hosted by IGAD in Djibouti?",
        "doc_id": "djibouti",
        "lang": "en",
    },
    {"id": "miss", "question": "Nairobi " + HOSTILE, "doc_id": "nairobi", "lang": "en"},
    {"id": "ar", "question": "أين عقد الاجتماع في جيبوتي؟", "text": "جيبوتي", "lang": "ar"},
]


def collection_of(path: Path, texts: dict[str, str]) -> Collection:
    collection = open_collection(path, FakeEmbedder(), index=path.name)
    collection.ingest(
        [Document(doc_id=d, title=d.title() + " " + HOSTILE, text=t, lang="en") for d, t in texts.items()]
    )
    return collection


def report(tmp_path: Path) -> EvalReport:
    questions = parse_question_set("\n".join(json.dumps(q) for q in QUESTIONS), suffix=".jsonl")
    texts = {
        "djibouti": "In 2017 the fifth meeting was held in Djibouti (جيبوتي), hosted by IGAD. " + HOSTILE,
        "nairobi": "In 2018 a workshop took place in Nairobi.",
    }
    run = evaluate(collection_of(tmp_path / "a", texts), questions, top_k=5)
    other = evaluate(collection_of(tmp_path / "b", {"djibouti": texts["djibouti"]}), questions, top_k=5)
    return eval_report(run, question_set="set <b>.jsonl", other=other, minimum_recall={1: 0.9, 5: 0.5})


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_page_is_self_contained_and_escapes_every_text(tmp_path: Path) -> None:
    page = eval_html(report(tmp_path))
    parsed = _Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "link" not in parsed.tags
    assert not [a for a in parsed.attributes if a[0] in ("src", "href", "onerror", "onload")]
    assert "http://" not in page
    assert page.count("https://") == page.count("&quot;https://")  # only in escaped hostile text
    assert "url(" not in page and "@import" not in page
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown as text, exactly
    assert "set <b>.jsonl" in text
    assert "svg" in parsed.tags and parsed.tags.count("rect") >= 3  # the chart, inline


def test_report_model_text_and_json_agree(tmp_path: Path) -> None:
    r = report(tmp_path)
    assert EvalReport.model_validate_json(r.model_dump_json()) == r
    assert r.run.overall.questions == 3 and set(r.run.by_lang) == {"ar", "en"}
    assert {t.metric: t.passed for t in r.thresholds} == {"recall@1": False, "recall@5": True}
    assert not r.passed
    assert r.comparison is not None and r.comparison.counts["lost"] == 1
    assert [c.id for c in r.comparison.changes] == ["miss"]
    misses = [x.id for x in r.results if x.miss]
    assert "miss" in misses
    text = eval_text(r)
    assert "R@1" in text and "MRR@5" in text and "[miss]" in text and "lost" in text
    assert "recall@1" in text and "BELOW" in text
