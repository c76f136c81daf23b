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

from core.document import (
    DOC_ID_PATTERN,
    MAX_DOC_ID_LENGTH,
    NO_OVERRIDES,
    Document,
    DocumentOverrides,
    Origin,
    validate_doc_id,
)
from core.errors import DocumentNotFound, IngestCancelled, InvalidDocument, MarjaError, UnsupportedDocument
from index.builder import IngestReport
from index.collection import Collection
from ingest.loaders import load_bytes, load_text
from service import presenter
from service.deps import CollectionDep, ReadAccess, SettingsDep, WriteAccess
from service.errors import describe_validation_errors
from service.metrics import Metrics
from service.schemas import (
    DocumentFields,
    DocumentFull,
    DocumentIn,
    DocumentList,
    DocumentUpdate,
    IngestResult,
    error_responses,
    upload_form_schema,
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
        description="An index version named by a citation (`citation.version`, like `v000007`): the "
        "document's text as it was in that version, while the version is kept (410 once pruned).",
        examples=["v000007"],
    ),
]
"""Checked by :func:`index.store.check_version_name` alone, whose message says what a name looks like."""


def _upload_body(model: type[DocumentFields]) -> dict[str, Any]:
    """The request body of a write: JSON (``model``) or a multipart upload with the same fields."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": model.model_json_schema()},
                "multipart/form-data": {"schema": upload_form_schema()},
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


async def _document_from_request(
    request: Request, settings: Settings, *, doc_id: str | None, kept: DocumentOverrides = NO_OVERRIDES
) -> Document:
    """The document a write request carries, recorded as coming from the API. A body that cannot
    be parsed counts as a failed ingest. (Its size is bounded by the body limit before the route
    runs, and the file's by the loader: the multipart framing is not counted against the file.)"""
    try:
        document = await _parse_document(request, settings, doc_id=doc_id, kept=kept)
    except MarjaError:
        _metrics(request).record_ingest_failure()
        raise
    return dataclasses.replace(document, origin=Origin.api())


def _fields(model: type[DocumentFields], data: dict[str, Any] | bytes) -> DocumentFields:
    try:
        return model.model_validate_json(data) if isinstance(data, bytes) else model.model_validate(data)
    except ValidationError as e:
        raise InvalidDocument(describe_validation_errors(e.errors())) from e


async def _parse_document(
    request: Request, settings: Settings, *, doc_id: str | None, kept: DocumentOverrides
) -> Document:
    """Parse a JSON body or a multipart upload into a Document (see :class:`DocumentFields` for
    where each field comes from)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        payload = _fields(DocumentUpdate if doc_id else DocumentIn, await request.body())
        assert isinstance(payload, DocumentUpdate)
        return await _parse(
            request,
            functools.partial(
                load_text,
                payload.text,
                given=payload.overrides(doc_id=doc_id),
                kept=kept,
                max_bytes=settings.max_upload_bytes,
            ),
        )
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=len(DocumentFields.model_fields) + 4)
        upload = form.get("file")
        if not isinstance(upload, StarletteUpload | UploadFile):
            raise InvalidDocument("the multipart form needs a 'file' field with the document")
        fields = _fields(
            DocumentFields, {k: str(form[k]) for k in DocumentFields.model_fields if form.get(k)}
        )
        data = await upload.read(settings.max_upload_bytes + 1)
        return await _parse(
            request,
            functools.partial(
                load_bytes,
                data,
                filename=upload.filename or "upload.txt",
                max_bytes=settings.max_upload_bytes,
                given=fields.overrides(doc_id=doc_id),
                kept=kept,
            ),
        )
    raise UnsupportedDocument(
        f"unsupported content type {content_type or '(none)'!r}: send application/json or multipart/form-data"
    )


def _kept_fields(collection: Collection, doc_id: str) -> DocumentOverrides:
    """What a replacement keeps of the stored document when the request does not say it."""
    try:
        info, _text = collection.document(doc_id)
    except DocumentNotFound:
        return NO_OVERRIDES
    return DocumentOverrides(title=info.title, lang=info.lang, kind=info.kind, source_url=info.source_url)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=IngestResult,
    dependencies=[WriteAccess],
    openapi_extra=_upload_body(DocumentIn),
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
    openapi_extra=_upload_body(DocumentUpdate),
    responses={
        201: {"model": IngestResult, "description": "Created"},
        **error_responses(400, 401, 403, 413, 415, 422, 503, 507),
    },
    summary="Replace (or create) a document; fields left out keep their stored values",
)
async def replace_document(
    doc_id: str,
    request: Request,
    response: Response,
    collection: CollectionDep,
    settings: SettingsDep,
) -> IngestResult:
    doc_id = validate_doc_id(doc_id)
    kept = await run_in_threadpool(_kept_fields, collection, doc_id)
    document = await _document_from_request(request, settings, doc_id=doc_id, kept=kept)
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
