"""Feedback as a question set for ``marja eval``: one JSON object per line.

- Thumbs up on an answer: the passage the reader approved is the expected hit
  (``doc_id`` + ``start``/``end``).
- Thumbs up on "no passage answers this": ``answerable: false``.
- Thumbs down on shown passages: ``answerable: false`` — as exported, nothing marja showed should
  count as an answer; once someone knows where the answer is, they add ``doc_id`` or ``text``.
- Thumbs down on "no passage answers this" says an answer exists without saying where: such rows
  are left out (``GET /feedback`` lists them) and counted in :attr:`Export.unlabelled`.

A follow-up ("and in 2019?") is exported as the text marja searched for, its previous question
folded in, so the row stands on its own. Identical rows are written once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from index.search import with_follow_up_context
from service.feedback_store import StoredFeedback


@dataclass
class Export:
    written: int = 0
    up: int = 0
    down: int = 0
    duplicates: int = 0
    unlabelled: list[int] = field(default_factory=list)


def question_row(feedback: StoredFeedback) -> dict[str, Any] | None:
    """The question-set row for one verdict, or None when it says too little to test."""
    searched = with_follow_up_context(feedback.question, feedback.previous_question)
    row: dict[str, Any] = {"question": " ".join(searched.split())}
    if feedback.lang:
        row["lang"] = feedback.lang
    answered = feedback.answered is not False and bool(feedback.passages)
    if feedback.verdict == "up":
        if not answered:
            row["answerable"] = False
            return row
        index = feedback.approved if feedback.approved is not None else 0
        if not 0 <= index < len(feedback.passages):
            return None
        passage = feedback.passages[index]
        row.update(doc_id=passage.doc_id, start=passage.start, end=passage.end)
        return row
    if not answered:
        return None
    row["answerable"] = False
    return row


def write_question_set(rows: Iterable[StoredFeedback], out: IO[str]) -> Export:
    """Write the question set of ``rows`` to ``out``; what was written and what was left out."""
    report = Export()
    seen: set[str] = set()
    for feedback in rows:
        row = question_row(feedback)
        if row is None:
            report.unlabelled.append(feedback.id)
            continue
        line = json.dumps(row, ensure_ascii=False, sort_keys=True)
        if line in seen:
            report.duplicates += 1
            continue
        seen.add(line)
        out.write(line + "\n")
        report.written += 1
        if feedback.verdict == "up":
            report.up += 1
        else:
            report.down += 1
    return report
