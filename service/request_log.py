"""One log line and one metrics sample per request, under a request id echoed as ``X-Request-ID``."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.credentials import client_address
from service.limits import ROUTE_KEY
from service.logs import request_id
from service.metrics import Metrics

logger = logging.getLogger("marja.request")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""An incoming id is kept when it looks like one (a proxy's or a client's), else replaced."""

QUESTION_STATE = "question"
"""Where a route leaves the question text (``request.state``) for the log, when it may be logged."""


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _SANE_ID.fullmatch(text) else None
    return None


def route_of(scope: Scope) -> str:
    """The route template of a request (``/documents/{doc_id}``), never the raw path: a label per
    raw path would let any client create metrics without end. A request no route answered (404,
    or refused before routing for its size) is "unmatched"."""
    path = getattr(scope.get("route"), "path", None) or scope.get(ROUTE_KEY)
    return path if isinstance(path, str) else "unmatched"


class RequestLog:
    """Outermost middleware: it sees every answer, the refusals of the other middleware too."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics | None, log_questions: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {
                    **message,
                    "headers": [*message.get("headers", ()), (b"x-request-id", rid.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            self._log(scope, route=route, status=status, seconds=seconds)
            if self.metrics is not None:
                self.metrics.record_request(
                    method=scope["method"], route=route, status=status, seconds=seconds
                )
            request_id.reset(token)

    def _log(self, scope: Scope, *, route: str, status: int, seconds: float) -> None:
        fields: dict[str, Any] = {
            "request_id": request_id.get(),
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client_address(scope),
        }
        question = (scope.get("state") or {}).get(QUESTION_STATE) if self.log_questions else None
        if question is not None:
            fields["question"] = question
        text = " ".join(
            f"{k}={v!r}" if k == "question" else f"{k}={v}" for k, v in fields.items() if k != "request_id"
        )
        level = logging.WARNING if status >= 500 else logging.INFO
        logger.log(level, "%s", text, extra=fields)
