"""``GET /metrics``: Prometheus text format (see :mod:`service.metrics`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.deps import ReadAccess
from service.metrics import CONTENT_TYPE
from service.schemas import error_responses

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    dependencies=[ReadAccess],
    responses={
        200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"},
        **error_responses(401),
    },
    response_class=Response,
    summary="Counters and histograms for Prometheus (requests, questions, ingests, the index)",
)
def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
