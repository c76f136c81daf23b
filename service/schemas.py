"""Request and response bodies of the HTTP API (with the examples shown at /docs)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from text.cleaning import strip_controls

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_input_text(value: str) -> str:
    """Reject lone surrogates (not text, cannot be encoded); drop control characters."""
    if _SURROGATE.search(value):
        raise ValueError("contains lone surrogate code points; send valid Unicode text")
    return strip_controls(value)


MAX_QUESTION_CHARS = 2000
MAX_TOP_K = 50
_HAS_CONTENT = r"[^\s\x00-\x1f\x7f]"  # at least one character that is not space or control

EXAMPLE_QUESTION_EN = "Which organizations attended the meeting in 2017?"
EXAMPLE_QUESTION_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"


class AskFilters(BaseModel):
    """Restrict the passages an answer may cite. Unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=1000, le=2999, description="A year the passage mentions.")
    lang: str | None = Field(
        default=None, pattern=r"^[a-z]{2,3}$", description="Passage language, e.g. 'ar'."
    )
    doc_id: str | None = Field(default=None, max_length=128, description="Only this document.")
    kind: str | None = Field(default=None, max_length=40, description="'source' or 'summary'.")


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": EXAMPLE_QUESTION_EN, "top_k": 3},
                {"question": EXAMPLE_QUESTION_AR, "top_k": 3, "filters": {"lang": "ar"}},
            ]
        },
    )

    question: str = Field(
        description="The question, in Arabic or English.",
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=_HAS_CONTENT,
    )
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, description="How many passages to return.")
    filters: AskFilters = Field(default_factory=AskFilters)
    previous_question: str | None = Field(
        default=None,
        max_length=MAX_QUESTION_CHARS,
        description="The question asked before this one, for short follow-ups ('and in 2019?').",
    )

    @field_validator("question", "previous_question")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else clean_input_text(value)


class ErrorBody(BaseModel):
    detail: str = Field(description="What was wrong, in words a person can act on.")


class Span(BaseModel):
    start: int
    end: int


class Citation(BaseModel):
    doc_id: str
    title: str
    start: int = Field(description="Offset of the passage in the document's text.")
    end: int
    page: int | None = None
    source_url: str | None = None


class Passage(BaseModel):
    rank: int
    text: str
    score: float
    lang: str
    citation: Citation
    highlights: list[Span] = Field(description="The sentences that best answer, as document offsets.")


class AskResponse(BaseModel):
    question: str
    lang: str = Field(description="Detected language of the question ('ar', 'en', ...).")
    passages: list[Passage]
    took_ms: float


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    lang: str
    kind: str
    source_url: str | None
    metadata: dict[str, Any]
    chunks: int
    characters: int
    pages: int
    content_hash: str
    ingested_at: str


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    version: str | None = Field(description="The index version these come from.")


class DocumentFull(DocumentSummary):
    text: str = Field(description="The full text; every citation satisfies text[start:end] == passage.")


class DocumentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "2025 meeting summary",
                    "text": "In 2025, the eighth biennial meeting of regional organizations ...",
                    "lang": "en",
                    "kind": "summary",
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1)
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    kind: str = Field(default="source", pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    source_url: str | None = Field(default=None, max_length=2000)
    doc_id: str | None = Field(default=None, max_length=128)

    @field_validator("title", "text", "source_url")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else clean_input_text(value)


class IngestResult(BaseModel):
    doc_id: str
    chunks: int
    version: str | None


class Health(BaseModel):
    status: str
    version: str | None
    documents: int
    chunks: int
    model: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    meaning = {
        400: "Malformed body (not decodable)",
        401: "Missing or invalid API key",
        403: "Writes are disabled (no API key configured)",
        404: "No such document",
        409: "The document exists already",
        413: "Body or document over the size limit",
        415: "Unsupported file type",
        422: "Invalid request",
        429: "Too many requests (see Retry-After)",
        503: "Index busy or unavailable (see Retry-After)",
        507: "Disk full: the document was not stored",
    }
    return {s: {"model": ErrorBody, "description": meaning[s]} for s in statuses}
