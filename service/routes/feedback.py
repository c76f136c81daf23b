"""Readers' verdicts on answers: ``POST /feedback`` from the widget, ``GET /feedback`` for admins."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.concurrency import run_in_threadpool

from index.collection import Collection
from service import presenter
from service.deps import CollectionDep, FeedbackDep, ReadAccess, WriteAccess
from service.feedback_store import Feedback, FeedbackStore, ShownPassage, StoredFeedback
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
        index_version=body.index_version,
    )
    stored = await run_in_threadpool(_store, feedback, store, collection)
    return FeedbackCreated(id=stored.id, created_at=stored.created_at)


def _store(feedback: Feedback, store: FeedbackStore, collection: Collection) -> StoredFeedback:
    """Store ``feedback``, stamped with the current index version when the client gave none (in
    a worker thread: the current version may have to be loaded first)."""
    if feedback.index_version is None:
        feedback = dataclasses.replace(feedback, index_version=collection.snapshot().version)
    return store.add(feedback)


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
