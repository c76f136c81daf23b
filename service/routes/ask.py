"""POST /ask: cited passages for a question."""

from __future__ import annotations

import functools
import time

from anyio import to_thread
from fastapi import APIRouter, Request

from index.records import Filters
from service import presenter
from service.deps import CollectionDep, ReadAccess
from service.metrics import Metrics
from service.request_log import QUESTION_STATE
from service.schemas import AskRequest, AskResponse, error_responses

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[ReadAccess],
    responses=error_responses(400, 401, 403, 413, 422, 429, 503),
    summary="Ask a question in Arabic or English; get cited passages",
)
async def ask(request: AskRequest, collection: CollectionDep, http: Request) -> AskResponse:
    started = time.perf_counter()
    setattr(http.state, QUESTION_STATE, request.question)  # logged only when MARJA_LOG_QUESTIONS is on
    f = request.filters
    answer = await to_thread.run_sync(
        functools.partial(
            collection.ask,
            request.question,
            top_k=request.top_k,
            filters=Filters(year=f.year, lang=f.lang, doc_id=f.doc_id, kind=f.kind),
            previous_question=request.previous_question,
        ),
        limiter=http.app.state.question_limiter,
    )
    metrics: Metrics = http.app.state.metrics
    metrics.record_question(embed_seconds=answer.embed_seconds, search_seconds=answer.search_seconds)
    metrics.record_answer(answer.answered)
    return presenter.ask_response(answer, took_ms=(time.perf_counter() - started) * 1000)
