"""Files served as they ship (the widget, the demo page, Swagger UI's assets): read, hashed and
compressed once per process, then answered from memory, revalidated by ETag."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from fastapi import Request, Response


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    etag: str
    gzipped: bytes
    """The body gzipped (level 9, no timestamp): what a client that accepts gzip gets."""


@lru_cache(maxsize=16)
def static_file(package: str, folder: str, name: str) -> StaticFile:
    """``name`` under ``folder`` of the installed ``package`` (read once, then kept)."""
    body = (resources.files(package) / folder / name).read_bytes()
    return StaticFile(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:24]}"',
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
    )


def not_modified(request: Request, etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag``."""
    return etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(","))


def static_response(
    file: StaticFile, request: Request, *, media_type: str, headers: dict[str, str]
) -> Response:
    """304 when the client has it, else the body (gzipped when the client accepts gzip)."""
    headers = {**headers, "ETag": file.etag, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
    if not_modified(request, file.etag):
        return Response(status_code=304, headers=headers)
    accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
    if "gzip" in accepted:
        return Response(file.gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(file.body, media_type=media_type, headers=headers)
