"""Listing, reading, adding, replacing and deleting documents."""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from anyio import to_thread
from fastapi import APIRouter, Path, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from core.document import DOC_ID_PATTERN, MAX_DOC_ID_LENGTH, Document, Origin, validate_doc_id
from core.errors import DocumentTooLarge, IngestCancelled, InvalidDocument, UnsupportedDocument
from index.builder import IngestReport
from index.collection import Collection
from index.store import MAX_VERSION_NAME
from ingest.loaders import load_bytes, load_text
from service import presenter
from service.deps import CollectionDep, ReadAccess, SettingsDep, WriteAccess
from service.errors import describe_validation_errors
from service.metrics import Metrics
from service.schemas import (
    DocumentFull,
    DocumentIn,
    DocumentList,
    IngestResult,
    error_responses,
)
from service.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/documents", tags=["documents"])

DocId = Annotated[
    str,
    Path(
        pattern=DOC_ID_PATTERN.pattern,
        max_length=MAX_DOC_ID_LENGTH,
        description="Lower-case letters, digits, '.', '_' and '-'.",
        examples=["un-regional-organizations"],
    ),
]

Version = Annotated[
    str | None,
    Query(
        pattern=r"^v[0-9]{6,}$",
        max_length=MAX_VERSION_NAME,
        description="An index version named by a citation (`citation.version`): the document's "
        "text as it was in that version, while the version is kept (410 once pruned).",
        examples=["v000007"],
    ),
]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DocumentIn"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string"},
                        "lang": {"type": "string"},
                        "kind": {"type": "string"},
                        "source_url": {"type": "string"},
                        "doc_id": {"type": "string"},
                    },
                }
            },
        },
    }
}


@router.get(
    "",
    response_model=DocumentList,
    dependencies=[ReadAccess],
    responses=error_responses(401, 403, 503),
    summary="List documents",
)
def list_documents(collection: CollectionDep) -> DocumentList:
    documents, version = collection.documents_with_version()
    return presenter.document_list(documents, version=version)


@router.get(
    "/{doc_id}",
    response_model=DocumentFull,
    dependencies=[ReadAccess],
    responses=error_responses(401, 403, 404, 410, 422, 503),
    summary="One document with its full text (to check a citation), now or in a kept version",
)
def get_document(doc_id: DocId, collection: CollectionDep, version: Version = None) -> DocumentFull:
    info, text, at = collection.document_at(validate_doc_id(doc_id), version)
    return presenter.document_full(info, text, version=at)


T = TypeVar("T")

DISCONNECT_POLL_S = 0.25


async def _parse(request: Request, fn: Callable[[], T]) -> T:
    """Run a loader in a worker thread: a big PDF must not hold up the event loop (and with it
    every other request). At most a few parse at once (``app.state.parse_limiter``)."""
    started = time.perf_counter()
    try:
        return await to_thread.run_sync(fn, limiter=getattr(request.app.state, "parse_limiter", None))
    finally:
        _metrics(request).record_ingest_stage("parse", time.perf_counter() - started)


def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


async def _ingest(
    request: Request, collection: Collection, document: Document, *, replace: bool
) -> IngestReport:
    """Index ``document`` in a worker thread; a client that disconnects meanwhile cancels it.

    The build checks for the disconnect at each of its steps (each embedding batch, then before
    publishing) and abandons the new version, so the index is as if nothing had been sent.
    """
    disconnected = threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        if disconnected.is_set():
            raise IngestCancelled(f"{document.doc_id}: the client disconnected; the ingest was abandoned")

    async def watch() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(DISCONNECT_POLL_S)
        disconnected.set()

    started = time.perf_counter()
    failure: Exception | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch)
        try:
            report = await run_in_threadpool(
                functools.partial(collection.add, document, replace=replace, progress=progress)
            )
        except Exception as e:  # raised below, outside the task group (which would wrap it)
            failure = e
        finally:
            tasks.cancel_scope.cancel()
    _metrics(request).record_ingest_stage("index", time.perf_counter() - started)
    if failure is not None:
        _metrics(request).record_ingest_failure()
        raise failure
    _metrics(request).record_ingest(report)
    return report


async def _document_from_request(request: Request, settings: Settings, *, doc_id: str | None) -> Document:
    """The document a write request carries, recorded as coming from the API."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes:
        raise DocumentTooLarge(
            f"the request body is {int(length):,} bytes, over the limit of "
            f"{settings.max_upload_bytes:,} bytes"
        )
    return dataclasses.replace(await _parse_document(request, settings, doc_id=doc_id), origin=Origin.api())


async def _parse_document(request: Request, settings: Settings, *, doc_id: str | None) -> Document:
    """Parse a JSON body or a multipart upload into a Document."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            payload = DocumentIn.model_validate_json(await request.body())
        except ValidationError as e:
            raise InvalidDocument(describe_validation_errors(e.errors())) from e
        return await _parse(
            request,
            functools.partial(
                load_text,
                payload.text,
                title=payload.title,
                doc_id=doc_id or payload.doc_id,
                lang=payload.lang,
                kind=payload.kind,
                source_url=payload.source_url,
                max_bytes=settings.max_upload_bytes,
            ),
        )
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, StarletteUpload | UploadFile):
            raise InvalidDocument("the multipart form needs a 'file' field with the document")
        data = await upload.read(settings.max_upload_bytes + 1)
        fields = {k: str(form[k]) for k in ("title", "lang", "kind", "source_url", "doc_id") if form.get(k)}
        chosen_id = doc_id or fields.pop("doc_id", None)
        fields.pop("doc_id", None)
        return await _parse(
            request,
            functools.partial(
                load_bytes,
                data,
                filename=upload.filename or "upload.txt",
                max_bytes=settings.max_upload_bytes,
                doc_id=validate_doc_id(chosen_id) if chosen_id else None,
                **fields,
            ),
        )
    raise UnsupportedDocument(
        f"unsupported content type {content_type or '(none)'!r}: send application/json or multipart/form-data"
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=IngestResult,
    dependencies=[WriteAccess],
    openapi_extra=_UPLOAD_BODY,
    responses=error_responses(400, 401, 403, 409, 413, 415, 422, 503, 507),
    summary="Add a document (JSON text or a file upload)",
)
async def add_document(request: Request, collection: CollectionDep, settings: SettingsDep) -> IngestResult:
    document = await _document_from_request(request, settings, doc_id=None)
    report = await _ingest(request, collection, document, replace=False)
    return presenter.ingest_result(report, document.doc_id)


@router.put(
    "/{doc_id}",
    response_model=IngestResult,
    dependencies=[WriteAccess],
    openapi_extra=_UPLOAD_BODY,
    responses={
        201: {"model": IngestResult, "description": "Created"},
        **error_responses(400, 401, 403, 413, 415, 422, 503, 507),
    },
    summary="Replace (or create) a document",
)
async def replace_document(
    doc_id: str,
    request: Request,
    response: Response,
    collection: CollectionDep,
    settings: SettingsDep,
) -> IngestResult:
    document = await _document_from_request(request, settings, doc_id=validate_doc_id(doc_id))
    report = await _ingest(request, collection, document, replace=True)
    response.status_code = status.HTTP_201_CREATED if doc_id in report.added else status.HTTP_200_OK
    return presenter.ingest_result(report, doc_id)


@router.delete(
    "/{doc_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteAccess],
    responses=error_responses(401, 403, 404, 422, 503, 507),
    summary="Delete a document and its chunks",
)
async def delete_document(doc_id: DocId, collection: CollectionDep, request: Request) -> Response:
    report = await run_in_threadpool(collection.remove, validate_doc_id(doc_id))
    _metrics(request).record_ingest(report)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
