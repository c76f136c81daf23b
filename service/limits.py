"""Request limits at the edge: header and body sizes for every route, a per-client rate for /ask."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from limits import RateLimitItem, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.credentials import RateBucket
from service.throttled_log import ThrottledWarnings

ROUTE_KEY = "marja.route"
"""Where a refusal names the route it answered for (read by :mod:`service.request_log`)."""

logger = logging.getLogger(__name__)
refusals = ThrottledWarnings(logger)
"""Every refusal of this module is logged through it: a client decides how many there are."""


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
            refusals.warning(
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
                refusals.warning("%s %s: body over %d bytes refused", scope["method"], scope["path"], limit)
                await _reject(send, 413, f"the request body is over the limit of {limit:,} bytes")
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class HeaderSizeLimit:
    """Refuse requests whose request line and headers add up to more than ``max_bytes`` (431).

    ``marja serve`` also caps them in the HTTP parser (h11), before they are buffered whole;
    this is the same limit for any other ASGI server the app runs under.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            size += sum(len(name) + len(value) + 4 for name, value in scope.get("headers") or ())
            if size > self.max_bytes:
                refusals.warning(
                    "%s: %d bytes of headers refused (limit %d)", scope["path"], size, self.max_bytes
                )
                await _reject(
                    send, 431, f"the request headers are over the limit of {self.max_bytes:,} bytes"
                )
                return
        await self.app(scope, receive, send)


class RateLimiter:
    """``amount`` requests per ``period`` seconds per bucket, as a cell-rate (token) bucket.

    Each bucket is one number, the time at which it is empty again (GCRA), so a full burst of
    ``amount`` is allowed and then one request every ``period / amount`` seconds. At most
    ``max_buckets`` are kept: when more clients come, the ones seen longest ago are forgotten
    (a forgotten bucket starts full again, which only ever lets a request through).
    """

    def __init__(self, rate: str, *, max_buckets: int, clock: Callable[[], float] = time.monotonic) -> None:
        item: RateLimitItem = parse(rate)
        self.description = str(item)
        self.period = float(item.get_expiry())
        self.interval = self.period / item.amount
        self.max_buckets = max_buckets
        self._clock = clock
        self._empty_at: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._empty_at)

    def hit(self, bucket: str) -> float:
        """Count one request; 0.0 when it is allowed, else the seconds until one would be."""
        now = self._clock()
        empty_at = max(self._empty_at.get(bucket, now), now) + self.interval
        if empty_at - now > self.period:
            return empty_at - now - self.period
        self._empty_at[bucket] = empty_at
        self._empty_at.move_to_end(bucket)
        while len(self._empty_at) > self.max_buckets:
            self._empty_at.popitem(last=False)
        return 0.0


class RateLimit:
    """A per-client limit on some paths; over it → 429 with Retry-After.

    ``bucket_of(scope)`` names the client and the limit that applies to it (see
    :func:`service.credentials.rate_bucket`), ``limiters`` holds each limit by name (a bucket
    whose limit is not there is not limited), each path is counted on its own, and
    ``on_limited(path)`` is told of each refusal (for metrics).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiters: Mapping[str, RateLimiter],
        bucket_of: Callable[[Scope], RateBucket],
        paths: frozenset[str],
        on_limited: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.limiters = limiters
        self.bucket_of = bucket_of
        self.paths = paths
        self.on_limited = on_limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        bucket = self.bucket_of(scope)
        limiter = self.limiters.get(bucket.limit)
        wait = limiter.hit(f"{scope['path']} {bucket.name}") if limiter is not None else 0.0
        if limiter is not None and wait > 0:
            scope[ROUTE_KEY] = scope["path"]  # the limited paths are route paths
            retry = max(1, math.ceil(wait))
            refusals.warning(
                "rate limit: %s over %s on %s", bucket.name.split(":")[0], limiter.description, scope["path"]
            )
            if self.on_limited is not None:
                self.on_limited(scope["path"])
            await _reject(
                send,
                429,
                f"too many requests: the limit is {limiter.description}; retry in {retry} s",
                {"Retry-After": str(retry)},
            )
            return
        await self.app(scope, receive, send)
