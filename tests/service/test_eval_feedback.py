"""Readers' feedback, exported by `marja feedback export`, is a question set `marja eval` runs."""

from __future__ import annotations

from pathlib import Path

from index.collection import Collection
from index.evaluation.questions import read_question_set
from index.evaluation.run import evaluate
from service.cli import main
from tests.conftest import API_KEY, make_client

APPROVED = "Which organizations attended the meeting in Djibouti?"
REJECTED = "Who chaired the 2019 meeting?"


def test_exported_feedback_is_a_question_set(corpus_collection: Collection, tmp_path: Path) -> None:
    with make_client(corpus_collection, api_keys=[API_KEY]) as client:
        for question, verdict in ((APPROVED, "up"), (REJECTED, "down")):
            answer = client.post("/ask", json={"question": question, "top_k": 3}).json()
            shown = [
                {
                    "doc_id": p["citation"]["doc_id"],
                    "start": p["citation"]["start"],
                    "end": p["citation"]["end"],
                }
                for p in answer["passages"]
            ]
            body = {"question": question, "lang": answer["lang"], "verdict": verdict, "passages": shown}
            assert (
                client.post(
                    "/feedback", json={**body, "approved": 1} if verdict == "up" else body
                ).status_code
                == 201
            )

    exported = tmp_path / "feedback.jsonl"
    assert (
        main(["feedback", "export", "--data-dir", str(corpus_collection.data_dir), "-o", str(exported)]) == 0
    )
    questions = read_question_set(exported)
    assert [(q.question, q.answerable) for q in questions] == [(APPROVED, True), (REJECTED, False)]
    approved = questions[0].rule
    assert approved.doc_id is not None and approved.span is not None

    run = evaluate(corpus_collection, questions, top_k=3)
    assert run.results[0].rank == 2  # the reader approved the second passage shown
    assert run.summary.unanswerable == 1 and run.summary.overall.questions == 1
