"""What marja shows of its results: the one mapping from domain objects to what users see.

The HTTP routes return these models as JSON; the command line prints the same models, as JSON
(``--json``) or as text, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from index.builder import IngestReport
from index.collection import Answer, Migration, Preview
from index.records import DocumentInfo
from index.search import Hit
from service.feedback_export import Export
from service.feedback_store import StoredFeedback
from service.schemas import (
    AskResponse,
    Citation,
    DocumentFull,
    DocumentList,
    DocumentSummary,
    FeedbackItem,
    FeedbackList,
    FeedbackPassage,
    IngestResult,
    Passage,
    Span,
)


def passage(hit: Hit, *, rank: int, version: str | None = None) -> Passage:
    """A search hit as a cited passage, cited from index ``version``."""
    chunk = hit.stored.chunk
    return Passage(
        rank=rank,
        text=chunk.text,
        score=round(hit.score, 6),
        confidence=round(hit.confidence, 4),
        answers=hit.answers,
        lang=chunk.lang,
        citation=Citation(
            doc_id=chunk.doc_id,
            title=hit.stored.title,
            start=chunk.start,
            end=chunk.end,
            page=chunk.page,
            source_url=hit.stored.source_url,
            version=version,
        ),
        highlights=[Span(start=s, end=e) for s, e in hit.highlights],
    )


def ask_response(answer: Answer, *, took_ms: float) -> AskResponse:
    """The answer to a question, as ``POST /ask`` returns it and ``marja ask --json`` prints it."""
    return AskResponse(
        question=answer.question,
        lang=answer.lang,
        answered=answer.answered,
        reason=answer.reason,
        version=answer.version,
        passages=[
            passage(hit, rank=rank, version=answer.version) for rank, hit in enumerate(answer.hits, start=1)
        ],
        took_ms=round(took_ms, 2),
    )


def _document_fields(info: DocumentInfo) -> dict[str, object]:
    # The origin's folder is a path on the server: shown to nobody; its relative path is.
    fields = asdict(info)
    fields["origin"] = info.origin.path if info.origin else None
    return fields


def document_summary(info: DocumentInfo) -> DocumentSummary:
    return DocumentSummary(**_document_fields(info))  # type: ignore[arg-type]


def document_full(info: DocumentInfo, text: str, *, version: str | None) -> DocumentFull:
    return DocumentFull(**_document_fields(info), text=text, version=version)  # type: ignore[arg-type]


def document_list(documents: Sequence[DocumentInfo], *, version: str | None) -> DocumentList:
    return DocumentList(documents=[document_summary(d) for d in documents], version=version)


def ingest_result(report: IngestReport, doc_id: str) -> IngestResult:
    """What a write of one document over HTTP returns."""
    chunks = report.chunks_per_document.get(doc_id, 0)
    return IngestResult(doc_id=doc_id, chunks=chunks, version=report.version)


# -- text for a terminal ------------------------------------------------------------------------


NO_ANSWER = "No passage answers this question."


def answer_text(response: AskResponse) -> str:
    """A numbered list of cited passages, for ``marja ask``; when none answers, it says so first
    and lists the nearest ones below (or says why there are none)."""
    if not response.passages:
        return f"{NO_ANSWER[:-1]}: {response.reason or 'nothing was found'}."
    blocks = [] if response.answered else [f"{NO_ANSWER} The nearest passages:\n"]
    for p in response.passages:
        c = p.citation
        page = f", page {c.page}" if c.page else ""
        blocks.append(
            f"[{p.rank}] {c.title} ({c.doc_id}, {c.start}-{c.end}{page})  confidence {p.confidence:.2f}\n"
            f"    {p.text.strip()}\n"
        )
    return "\n".join(blocks)


def empty_index_text(data_dir: Path, *, elsewhere: Sequence[Path] = (), store: str | None = None) -> str:
    """What the CLI says when the index it reads holds no documents: where it looked, how to fill
    it, and where an index was found instead. ``store`` names an index outside the data directory
    (Milvus), which no other data directory would change."""
    if store is not None:
        return (
            f"{store} holds no documents. Add some with `marja ingest FOLDER` (e.g. `marja ingest corpus/`)"
        )
    text = (
        f"the index in {data_dir} holds no documents. Add some with `marja ingest FOLDER` "
        "(e.g. `marja ingest corpus/`), or point marja at another data directory with "
        "--data-dir DIR or MARJA_DATA_DIR=DIR"
    )
    for other in elsewhere:
        text += f"; {other}/ holds an index (`make run` builds one there): add --data-dir {other}"
    return text


def documents_text(documents: DocumentList) -> str:
    """One line per document, for ``marja ls``."""
    return "\n".join(
        f"{d.doc_id}\t{d.lang}\t{d.kind}\t{d.chunks} chunks\t{d.origin or '-'}\t{d.title}"
        for d in documents.documents
    )


def _counts(report: IngestReport) -> str:
    return (
        f"{len(report.added)} added, {len(report.replaced)} replaced, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged"
    )


def report_text(report: IngestReport) -> str:
    """What an ingest, sync, removal or re-index did, in one line."""
    return (
        f"{_counts(report)}; {report.chunks_embedded} chunks embedded, {report.chunks_reused} reused; "
        f"{report.chunks_total} chunks in index {report.version or '(empty)'} ({report.seconds:.1f} s)"
    )


def migration_text(migration: Migration) -> str:
    """What ``marja migrate`` copied, in one line."""
    return (
        f"copied {migration.source} ({migration.source_version}: {migration.documents} documents, "
        f"{migration.chunks} chunks) to {migration.target} as {migration.version}, nothing re-embedded "
        f"({migration.seconds:.1f} s)"
    )


def feedback_item(row: StoredFeedback) -> FeedbackItem:
    return FeedbackItem(
        id=row.id,
        created_at=row.created_at,
        verdict=row.verdict,
        question=row.question,
        previous_question=row.previous_question,
        lang=row.lang,
        comment=row.comment,
        passages=[FeedbackPassage(doc_id=p.doc_id, start=p.start, end=p.end) for p in row.passages],
        approved=row.approved,
        answered=row.answered,
        index_version=row.index_version,
    )


def feedback_list(rows: Sequence[StoredFeedback], *, total: int, limit: int) -> FeedbackList:
    """One page of feedback; ``next_after`` is set while the page is full."""
    return FeedbackList(
        feedback=[feedback_item(r) for r in rows],
        total=total,
        next_after=rows[-1].id if rows and len(rows) == limit else None,
    )


def export_text(report: Export) -> str:
    """What ``marja feedback export`` says it wrote (on stderr: stdout may be the question set)."""
    text = f"{report.written} questions written ({report.up} from thumbs up, {report.down} from thumbs down)"
    if report.duplicates:
        text += f", {report.duplicates} duplicates skipped"
    if report.unlabelled:
        ids = ", ".join(map(str, report.unlabelled[:10])) + (", ..." if len(report.unlabelled) > 10 else "")
        text += (
            f"; {len(report.unlabelled)} thumbs down on 'no passage answers' left out (they say an "
            f"answer exists, not where: see GET /feedback, ids {ids})"
        )
    return text


def preview_text(preview: Preview) -> str:
    """What ``marja ingest --dry-run`` would do: one line per change, then the counts."""
    report = preview.report
    lines = []
    for action, ids in (("add", report.added), ("replace", report.replaced), ("remove", report.removed)):
        for doc_id in ids:
            origin = preview.origins.get(doc_id)
            lines.append(f"{action:<8} {doc_id}" + (f"\t{origin.path}" if origin else ""))
    lines.append(f"dry run: {_counts(report)}; nothing written")
    return "\n".join(lines)
