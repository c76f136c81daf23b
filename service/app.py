"""Assembles the FastAPI application; routes live in :mod:`service.routes`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from index.builder import BuildOptions
from index.collection import Collection
from index.embedders.factory import create_embedder
from service.credentials import rate_bucket
from service.errors import install_error_handlers
from service.feedback_store import FeedbackStore
from service.limits import BodySizeLimit, HeaderSizeLimit, RateLimit, RateLimiter
from service.metrics import Metrics
from service.request_log import RequestLog
from service.routes import ask, docs, documents, feedback, health, widget
from service.routes import metrics as metrics_route
from service.settings import Settings, get_settings, models_dir_of

logger = logging.getLogger(__name__)

DESCRIPTION = """
Ask questions in Arabic or English and get **cited passages**: every passage comes with the
document and the character offsets it was taken from, so `GET /documents/{doc_id}` can show it in
context (`text[start:end]` is the passage).

اطرح سؤالك بالعربية أو بالإنجليزية لتحصل على مقاطع موثقة بمصادرها.
"""


def build_collection(
    settings: Settings, *, bulk_ingest: bool = False, backend: Literal["local", "milvus"] | None = None
) -> Collection:
    """The collection the settings describe, with its embedder (loaded lazily).

    ``bulk_ingest`` lets passage embedding use every core (the CLI's ``ingest`` and ``reindex``);
    the server embeds on one core per call so that questions keep being answered. ``backend``
    overrides the configured backend (``marja migrate``).
    """
    return Collection(
        settings.data_dir,
        create_embedder(settings.model, models_dir=models_dir_of(settings), bulk=bulk_ingest),
        options=BuildOptions(
            hnsw_threshold=settings.hnsw_threshold, sentence_vectors=settings.sentence_vectors
        ),
        answer_threshold=settings.answer_threshold,
        lock_timeout=settings.lock_timeout_s,
        keep_versions=settings.keep_versions,
        backend=settings.backend_config(backend),
    )


def create_app(settings: Settings | None = None, *, collection: Collection | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "collection", None) is None:
            app.state.collection = build_collection(settings)
        # At most this many questions are computed at once; the rest queue. On a 2-core machine,
        # 32 concurrent clients with no cap gave p95 1.4-2.6 s, with a cap of 8 about 1.0 s at
        # the same throughput (bench/load.py).
        app.state.question_limiter = anyio.CapacityLimiter(settings.max_concurrent_questions)
        app.state.parse_limiter = anyio.CapacityLimiter(settings.max_concurrent_uploads)
        coll: Collection = app.state.collection
        coll.embedder.warm_up()
        snapshot = coll.snapshot()  # fails fast on an index built with another model
        if not settings.api_keys:
            logger.warning(
                "write endpoints are disabled: no API key is configured. To enable them, set "
                "MARJA_API_KEYS to a secret of 16+ characters, e.g. "
                "MARJA_API_KEYS=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        logger.info(
            "serving %d documents (%s) with %s",
            len(snapshot.manifest.documents),
            snapshot.version or "empty index",
            coll.embedder.model_id,
        )
        yield

    app = FastAPI(
        title="marja",
        summary="Cited passages for Arabic and English questions",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by service.routes.docs, without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.collection = collection
    app.state.feedback = FeedbackStore(settings.data_dir, max_rows=settings.feedback_max_rows)
    metrics = Metrics(lambda: getattr(app.state, "collection", None))
    app.state.metrics = metrics
    install_error_handlers(app)
    upload_paths = ("/documents",)

    def body_limit(path: str) -> int:
        if path.startswith(upload_paths):
            return settings.max_upload_bytes + 64 * 1024  # the file plus multipart framing
        return settings.max_request_bytes

    # Middleware added last runs first: the request log sees every answer, refusals included.
    app.add_middleware(BodySizeLimit, limit_for=body_limit)
    limiters = {}
    if settings.rate_limit != "off":
        limiters["default"] = RateLimiter(settings.rate_limit, max_buckets=settings.rate_limit_clients)
    if settings.widget_rate_limit != "off" and settings.widget_keys:
        limiters["widget"] = RateLimiter(settings.widget_rate_limit, max_buckets=settings.rate_limit_clients)
    if limiters:
        app.add_middleware(
            RateLimit,
            limiters=limiters,
            bucket_of=lambda scope: rate_bucket(scope, settings),
            paths=frozenset({"/ask", "/feedback"}),
            on_limited=metrics.record_rate_limited,
        )
    # Pages that embed the widget with a publishable key are allowed too.
    key_origins = [origin for origins in settings.widget_keys.values() for origin in origins]
    origins = list(dict.fromkeys(settings.cors_origins + key_origins))
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Widget-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(HeaderSizeLimit, max_bytes=settings.max_header_bytes)
    app.add_middleware(RequestLog, metrics=metrics, log_questions=settings.log_questions)
    app.include_router(ask.router)
    app.include_router(documents.router)
    app.include_router(feedback.router)
    app.include_router(health.router)
    app.include_router(metrics_route.router)
    app.include_router(docs.router)
    app.include_router(widget.router)
    return app
