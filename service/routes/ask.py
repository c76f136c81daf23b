"""POST /ask: cited passages for a question."""

from __future__ import annotations

import functools
import time

from anyio import to_thread
from fastapi import APIRouter, Request

from index.catalog import Filters
from service.deps import CollectionDep, ReadAccess
from service.schemas import AskRequest, AskResponse, Citation, Passage, Span, error_responses

router = APIRouter(tags=["ask"])


@router.post(
    "/ask",
    response_model=AskResponse,
    dependencies=[ReadAccess],
    responses=error_responses(400, 401, 413, 422, 429, 503),
    summary="Ask a question in Arabic or English; get cited passages",
)
async def ask(request: AskRequest, collection: CollectionDep, http: Request) -> AskResponse:
    started = time.perf_counter()
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
    passages = [
        Passage(
            rank=rank,
            text=hit.stored.chunk.text,
            score=round(hit.score, 6),
            lang=hit.stored.chunk.lang,
            citation=Citation(
                doc_id=hit.stored.chunk.doc_id,
                title=hit.stored.title,
                start=hit.stored.chunk.start,
                end=hit.stored.chunk.end,
                page=hit.stored.chunk.page,
                source_url=hit.stored.source_url,
            ),
            highlights=[Span(start=s, end=e) for s, e in hit.highlights],
        )
        for rank, hit in enumerate(answer.hits, start=1)
    ]
    return AskResponse(
        question=answer.question,
        language=answer.language,
        passages=passages,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
