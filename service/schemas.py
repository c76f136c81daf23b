"""Request and response bodies of the HTTP API (with the examples shown at /docs)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.limits import LANG_CODE_PATTERN, MAX_QUESTION_CHARS, MAX_TOP_K
from text.cleaning import has_visible_text, strip_controls

_SURROGATE = re.compile("[\ud800-\udfff]")

EMPTY_TEXT = "is empty (only spaces, control, zero-width or direction characters)"

PATTERN_HINTS = {
    "question": EMPTY_TEXT,
    "lang": "must be a language code of 2 or 3 lower-case letters, such as 'ar' or 'en'",
    "kind": "must be 1-40 lower-case letters, digits, '_' or '-', starting with a letter, such as 'summary'",
    "doc_id": "must be 1-128 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
}
"""What a field's pattern means, said the way a person can act on it (for 422 messages)."""


def clean_input_text(value: str) -> str:
    """Reject lone surrogates (not text, cannot be encoded); drop control characters."""
    if _SURROGATE.search(value):
        raise ValueError("contains lone surrogate code points; send valid Unicode text")
    return strip_controls(value)


def visible_text(value: str) -> str:
    """``value`` cleaned; refused when nothing in it is visible."""
    value = clean_input_text(value)
    if not has_visible_text(value):
        raise ValueError(EMPTY_TEXT)
    return value


_HAS_CONTENT = r"[^\s\x00-\x1f\x7f]"  # at least one character that is not space or control

EXAMPLE_QUESTION_EN = "Which organizations attended the meeting in 2017?"
EXAMPLE_QUESTION_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"


class AskFilters(BaseModel):
    """Restrict the passages an answer may cite. Unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=1000, le=2999, description="A year the passage mentions.")
    lang: str | None = Field(
        default=None, pattern=LANG_CODE_PATTERN, description="Passage language, e.g. 'ar'."
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

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return visible_text(value)

    @field_validator("previous_question")
    @classmethod
    def _previous(cls, value: str | None) -> str | None:
        """An empty or invisible previous question is no previous question."""
        value = None if value is None else clean_input_text(value)
        return value if value and has_visible_text(value) else None


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
    version: str | None = Field(
        default=None,
        description="The index version the passage was cited from: "
        "GET /documents/{doc_id}?version= returns the text the offsets point into while it is kept.",
    )


class Passage(BaseModel):
    rank: int
    text: str
    score: float = Field(description="The ranking score: orders the passages of one question only.")
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="Probability that this passage answers the question, calibrated the same way "
        "whatever the languages of question and passage.",
    )
    answers: bool = Field(
        description="Whether the confidence reaches the answer threshold (MARJA_ANSWER_THRESHOLD): a "
        "strong match. ``answered`` is the first passage's."
    )
    lang: str
    citation: Citation
    highlights: list[Span] = Field(
        description="The sentence that answers (two when nearly tied), as document offsets; "
        "never the whole of a passage of several sentences."
    )


class AskResponse(BaseModel):
    question: str
    lang: str = Field(description="Detected language of the question ('ar', 'en', ...).")
    answered: bool = Field(
        description="Whether a passage is close enough to answer. When false, ``passages`` still "
        "holds the nearest ones and ``reason`` says why."
    )
    reason: str | None = Field(default=None, description="Why nothing answers, when ``answered`` is false.")
    version: str | None = Field(default=None, description="The index version that answered.")
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
    origin: str | None = Field(
        default=None,
        description="Where it came from: 'api', or the file's path relative to the folder it was "
        "ingested from; null if not recorded.",
    )


class DocumentList(BaseModel):
    documents: list[DocumentSummary]
    version: str | None = Field(description="The index version these come from.")


class DocumentFull(DocumentSummary):
    text: str = Field(description="The full text; every citation satisfies text[start:end] == passage.")
    version: str | None = Field(default=None, description="The index version this text is from.")


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
    lang: str | None = Field(default=None, pattern=LANG_CODE_PATTERN)
    kind: str = Field(default="source", pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    source_url: str | None = Field(default=None, max_length=2000)
    doc_id: str | None = Field(default=None, max_length=128)

    @field_validator("title", "text")
    @classmethod
    def _visible(cls, value: str) -> str:
        return visible_text(value)

    @field_validator("source_url")
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
        403: "Writes are disabled (no API key configured), or a widget key used from another origin",
        404: "No such document",
        409: "The document exists already",
        410: "That index version is no longer kept",
        413: "Body or document over the size limit",
        415: "Unsupported file or content type",
        422: "Invalid request",
        429: "Too many requests (see Retry-After)",
        503: "Index busy or unavailable (see Retry-After)",
        507: "Disk full, or the feedback store is full: nothing was stored",
    }
    return {s: {"model": ErrorBody, "description": meaning[s]} for s in statuses}


MAX_COMMENT_CHARS = 500
MAX_FEEDBACK_PASSAGES = 50


class FeedbackPassageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    doc_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,127}$", max_length=128)
    start: int = Field(ge=0, le=2**40, description="The passage's offsets in its document, as cited.")
    end: int = Field(ge=0, le=2**40)


class FeedbackIn(BaseModel):
    """A reader's verdict on one answer. Nothing about the reader is sent or stored."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "question": EXAMPLE_QUESTION_EN,
                    "lang": "en",
                    "verdict": "up",
                    "passages": [
                        {"doc_id": "summary-2017-fifth-biennial-meeting-djibouti", "start": 0, "end": 180}
                    ],
                    "approved": 0,
                },
                {
                    "question": EXAMPLE_QUESTION_AR,
                    "lang": "ar",
                    "verdict": "down",
                    "comment": "المقاطع عن اجتماع آخر",
                    "passages": [{"doc_id": "un-regional-organizations", "start": 1406, "end": 2000}],
                },
            ]
        },
    )

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=_HAS_CONTENT)
    previous_question: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS)
    lang: str | None = Field(default=None, pattern=LANG_CODE_PATTERN, description="The question's language.")
    verdict: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)
    passages: list[FeedbackPassageIn] = Field(
        default_factory=list, max_length=MAX_FEEDBACK_PASSAGES, description="The passages shown, in order."
    )
    approved: int | None = Field(
        default=None, ge=0, description="With verdict 'up': the index in `passages` of the one that answered."
    )
    answered: bool | None = Field(default=None, description="The answer's `answered` flag, if it had one.")
    index_version: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Default: the version served now.",
    )

    @field_validator("question", "previous_question", "comment")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None else clean_input_text(value)

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackIn:
        for p in self.passages:
            if p.end < p.start:
                raise ValueError("passages: end must not be before start")
        if self.approved is not None:
            if self.verdict != "up":
                raise ValueError("approved: only a thumbs up approves a passage")
            if self.approved >= len(self.passages):
                raise ValueError("approved: not the index of one of the passages")
        return self


class FeedbackPassage(BaseModel):
    doc_id: str
    start: int
    end: int


class FeedbackItem(BaseModel):
    id: int
    created_at: str = Field(description="UTC, ISO 8601.")
    verdict: Literal["up", "down"]
    question: str
    previous_question: str | None
    lang: str | None
    comment: str | None
    passages: list[FeedbackPassage]
    approved: int | None
    answered: bool | None
    index_version: str | None


class FeedbackCreated(BaseModel):
    id: int
    created_at: str


class FeedbackList(BaseModel):
    feedback: list[FeedbackItem]
    total: int = Field(description="Rows stored (all verdicts).")
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end.")
