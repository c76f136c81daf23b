"""Request limits at the edge: body size for every route, a per-client rate for /ask."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


async def _reject(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuse request bodies over a limit with 413, before the route reads them.

    ``limit_for(path)`` gives the limit of a path. A declared length is checked up front; a body
    without one (chunked) is read up to the limit before the route sees it.
    """

    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            logger.warning(
                "%s %s: body of %s bytes refused (limit %d)",
                scope["method"],
                scope["path"],
                declared.decode(),
                limit,
            )
            await _reject(send, 413, f"the request body is over the limit of {limit:,} bytes")
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read up to the limit, then replay to the route.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                logger.warning("%s %s: body over %d bytes refused", scope["method"], scope["path"], limit)
                await _reject(send, 413, f"the request body is over the limit of {limit:,} bytes")
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class RateLimit:
    """A moving-window limit per client and path on some paths; over it → 429 with Retry-After.

    The client is the API key when one is presented, else the peer address (run uvicorn with
    ``--proxy-headers`` behind a reverse proxy so that is the real client). A configured widget
    key is one client for all the pages that use it, with its own (larger) limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: str | None,
        paths: frozenset[str],
        widget_keys: frozenset[str] = frozenset(),
        widget_rate: str | None = None,
    ) -> None:
        self.app = app
        self.item: RateLimitItem | None = parse(rate) if rate else None
        self.widget_item: RateLimitItem | None = parse(widget_rate) if widget_rate else None
        self.paths = paths
        self.widget_keys = widget_keys
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def _client(self, scope: Scope) -> tuple[str, RateLimitItem | None]:
        headers = dict(scope.get("headers") or [])
        widget_key = headers.get(b"x-widget-key", b"").decode("latin-1")
        if widget_key and widget_key in self.widget_keys:
            return "widget:" + widget_key, self.widget_item
        key = headers.get(b"x-api-key") or headers.get(b"authorization")
        if key:
            return "key:" + key.decode("latin-1"), self.item
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown"), self.item

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        client, item = self._client(scope)
        bucket = f"{scope['path']} {client}"
        if item is not None and not self.limiter.hit(item, bucket):
            stats = self.limiter.get_window_stats(item, bucket)
            retry = max(1, math.ceil(stats.reset_time - time.time()))
            logger.warning("rate limit: %s over %s on %s", client.split(":")[0], item, scope["path"])
            await _reject(
                send,
                429,
                f"too many requests: the limit is {item}; retry in {retry} s",
                {"Retry-After": str(retry)},
            )
            return
        await self.app(scope, receive, send)
