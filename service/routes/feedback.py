"""Readers' verdicts on answers: ``POST /feedback`` from the widget, ``GET /feedback`` for admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool

from service import presenter
from service.deps import CollectionDep, FeedbackDep, ReadAccess, WriteAccess
from service.feedback_store import Feedback, ShownPassage
from service.schemas import FeedbackCreated, FeedbackIn, FeedbackList, error_responses

router = APIRouter(prefix="/feedback", tags=["feedback"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackCreated,
    dependencies=[ReadAccess],
    responses=error_responses(400, 401, 403, 413, 422, 429, 503, 507),
    summary="Record a thumbs up or down on an answer (and an optional short comment)",
)
async def add_feedback(body: FeedbackIn, store: FeedbackDep, collection: CollectionDep) -> FeedbackCreated:
    feedback = Feedback(
        verdict=body.verdict,
        question=body.question,
        previous_question=body.previous_question,
        lang=body.lang,
        passages=tuple(ShownPassage(p.doc_id, p.start, p.end) for p in body.passages),
        approved=body.approved,
        answered=body.answered,
        comment=body.comment.strip() if body.comment and body.comment.strip() else None,
        index_version=body.index_version or collection.snapshot().version,
    )
    stored = await run_in_threadpool(store.add, feedback)
    return FeedbackCreated(id=stored.id, created_at=stored.created_at)


@router.get(
    "",
    response_model=FeedbackList,
    dependencies=[WriteAccess],
    responses=error_responses(401, 403, 422, 429, 503),
    summary="List the feedback, oldest first (needs a write key)",
)
def list_feedback(
    store: FeedbackDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Only rows with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    verdict: Literal["up", "down"] | None = None,
) -> FeedbackList:
    rows = store.list(after_id=after, limit=limit, verdict=verdict)
    return presenter.feedback_list(rows, total=store.count(), limit=limit)
