"""Listing, reading, adding, replacing and deleting documents."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from index.catalog import DocumentInfo
from index.collection import Collection
from index.errors import DocumentExists, DocumentNotFound
from ingest.document import DOC_ID_PATTERN, MAX_DOC_ID_LENGTH, Document, slugify, validate_doc_id
from ingest.errors import DocumentTooLarge, InvalidDocument
from ingest.loaders import build_document, load_bytes
from ingest.loaders.base import LoadedText, clean_text
from service.deps import CollectionDep, ReadAccess, SettingsDep, WriteAccess
from service.schemas import (
    DocumentFull,
    DocumentIn,
    DocumentList,
    DocumentSummary,
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


def _summary(info: DocumentInfo) -> dict[str, Any]:
    return {
        "doc_id": info.doc_id,
        "title": info.title,
        "lang": info.lang,
        "kind": info.kind,
        "source_url": info.source_url,
        "metadata": info.metadata,
        "chunks": info.chunk_count,
        "characters": info.characters,
        "pages": info.pages,
        "content_hash": info.content_hash,
        "ingested_at": info.ingested_at,
    }


@router.get(
    "",
    response_model=DocumentList,
    dependencies=[ReadAccess],
    responses=error_responses(401, 503),
    summary="List documents",
)
def list_documents(collection: CollectionDep) -> DocumentList:
    snapshot = collection.snapshot()
    docs = snapshot.catalog.documents() if snapshot.catalog else []
    return DocumentList(documents=[DocumentSummary(**_summary(d)) for d in docs], version=snapshot.version)


@router.get(
    "/{doc_id}",
    response_model=DocumentFull,
    dependencies=[ReadAccess],
    responses=error_responses(401, 404, 422, 503),
    summary="One document with its full text (to check a citation)",
)
def get_document(doc_id: DocId, collection: CollectionDep) -> DocumentFull:
    info, text = collection.document(validate_doc_id(doc_id))
    return DocumentFull(**_summary(info), text=text)


async def _document_from_request(request: Request, settings: Settings, *, doc_id: str | None) -> Document:
    """Parse a JSON body or a multipart upload into a Document."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > settings.max_upload_bytes:
        raise DocumentTooLarge(
            f"the request body is {int(length):,} bytes, over the limit of "
            f"{settings.max_upload_bytes:,} bytes"
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            payload = DocumentIn.model_validate_json(await request.body())
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
            )
            raise InvalidDocument(problems) from e
        text = clean_text(payload.text)
        if len(text.encode("utf-8")) > settings.max_upload_bytes:
            raise DocumentTooLarge(f"the text is over the limit of {settings.max_upload_bytes:,} bytes")
        given_id = doc_id or payload.doc_id or slugify(payload.title)
        return build_document(
            LoadedText(text=text),
            source=given_id,
            doc_id=validate_doc_id(given_id),
            title=payload.title,
            lang=payload.lang,
            kind=payload.kind,
            source_url=payload.source_url,
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
        return load_bytes(
            data,
            filename=upload.filename or "upload.txt",
            max_bytes=settings.max_upload_bytes,
            doc_id=validate_doc_id(chosen_id) if chosen_id else None,
            **fields,
        )
    raise InvalidDocument(
        f"unsupported content type {content_type or '(none)'!r}: send application/json or multipart/form-data"
    )


def _exists(collection: Collection, doc_id: str) -> bool:
    try:
        collection.document(doc_id)
    except DocumentNotFound:
        return False
    return True


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
    if _exists(collection, document.doc_id):
        raise DocumentExists(document.doc_id)
    report = await run_in_threadpool(collection.ingest, [document])
    return IngestResult(
        doc_id=document.doc_id,
        chunks=report.chunks_per_document.get(document.doc_id, 0),
        version=report.version,
    )


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
    existed = _exists(collection, doc_id)
    report = await run_in_threadpool(collection.ingest, [document])
    response.status_code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
    chunks = report.chunks_per_document.get(doc_id)
    if chunks is None:  # unchanged content: nothing was re-chunked
        chunks = collection.document(doc_id)[0].chunk_count
    return IngestResult(doc_id=doc_id, chunks=chunks, version=report.version)


@router.delete(
    "/{doc_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[WriteAccess],
    responses=error_responses(401, 403, 404, 422, 503, 507),
    summary="Delete a document and its chunks",
)
async def delete_document(doc_id: DocId, collection: CollectionDep) -> Response:
    await run_in_threadpool(collection.remove, validate_doc_id(doc_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
