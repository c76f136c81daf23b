"""Request and response bodies of the HTTP API (with the examples shown at /docs)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from core.document import DOC_ID_PATTERN, MAX_DOC_ID_LENGTH, DocumentOverrides
from core.limits import LANG_CODE_PATTERN, MAX_KIND_CHARS, MAX_QUESTION_CHARS, MAX_TOP_K, MAX_YEAR, MIN_YEAR
from text.cleaning import has_visible_text, strip_controls

_SURROGATE = re.compile("[\ud800-\udfff]")

EMPTY_TEXT = "is empty (only spaces, control, zero-width or direction characters)"
LANG_CODE_HINT = "must be a language code of 2 or 3 lower-case letters, such as 'ar' or 'en'"

PATTERN_HINTS = {
    "lang": LANG_CODE_HINT,
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
    """``value`` cleaned; refused when nothing in it is visible. The one emptiness rule of every
    text a request must carry (a question, a document's title and text)."""
    value = clean_input_text(value)
    if not has_visible_text(value):
        raise ValueError(EMPTY_TEXT)
    return value


def _optional_text(value: str) -> str | None:
    """``value`` cleaned and trimmed; nothing visible in it is as if it had not been sent."""
    value = clean_input_text(value).strip()
    return value if has_visible_text(value) else None


# Length limits come before the validators: they bound the text as sent.
LangCode = Annotated[str, Field(pattern=LANG_CODE_PATTERN, description="A language code: 'ar', 'en'...")]
Question = Annotated[str, Field(max_length=MAX_QUESTION_CHARS), AfterValidator(visible_text)]
PreviousQuestion = Annotated[str, Field(max_length=MAX_QUESTION_CHARS), AfterValidator(_optional_text)]
MAX_TITLE_CHARS = 500
MAX_URL_CHARS = 2000

EXAMPLE_QUESTION_EN = "Which organizations attended the meeting in 2017?"
EXAMPLE_QUESTION_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"


class AskFilters(BaseModel):
    """Restrict the passages an answer may cite. Unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None, ge=MIN_YEAR, le=MAX_YEAR, description="A year the passage mentions."
    )
    lang: LangCode | None = Field(default=None, description="Passage language, e.g. 'ar'.")
    doc_id: str | None = Field(default=None, max_length=MAX_DOC_ID_LENGTH, description="Only this document.")
    kind: str | None = Field(default=None, max_length=MAX_KIND_CHARS, description="'source' or 'summary'.")


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

    question: Question = Field(description="The question, in Arabic or English.")
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, description="How many passages to return.")
    filters: AskFilters = Field(default_factory=AskFilters)
    previous_question: PreviousQuestion | None = Field(
        default=None,
        description="The question asked before this one, for short follow-ups ('and in 2019?'); "
        "an empty one is none.",
    )


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
        "strong match. ``answered`` is true when any passage answers; passages stay in ranking order."
    )
    lang: str
    citation: Citation
    highlights: list[Span] = Field(
        description="The sentence that answers (two when nearly tied), as document offsets; "
        "never the whole of a passage of several sentences."
    )


class AskResponse(BaseModel):
    question: str
    lang: str = Field(
        description="Language of the question as ranking takes it ('ar', 'en', ...): one of the "
        "collection's languages when the question is written in their script."
    )
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


KIND_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"


class DocumentFields(BaseModel):
    """What a write request may say about a document, as JSON fields or as the fields of a
    multipart upload. Each one given wins over what the file itself says (front matter, document
    properties). One left out: on POST, what the file says, else derived (title from the first
    heading, language detected, kind 'source'); on PUT, what the file says, else the stored
    document's value."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=MAX_TITLE_CHARS), AfterValidator(visible_text)] | None = None
    lang: LangCode | None = None
    kind: Annotated[str, Field(pattern=KIND_PATTERN)] | None = Field(
        default=None, description="'source', 'summary'... (1-40 lower-case letters, digits, '_' or '-')."
    )
    source_url: Annotated[str, Field(max_length=MAX_URL_CHARS), AfterValidator(clean_input_text)] | None = (
        Field(default=None, description="Where the original can be read.")
    )
    doc_id: Annotated[str, Field(max_length=MAX_DOC_ID_LENGTH, pattern=DOC_ID_PATTERN.pattern)] | None = (
        Field(
            default=None,
            description="The id (default: the slug of the file name or title). On PUT the path's id is used.",
        )
    )

    def overrides(self, *, doc_id: str | None = None) -> DocumentOverrides:
        """These fields for the loader; ``doc_id`` (the path's, on PUT) wins over the body's."""
        return DocumentOverrides(
            doc_id=doc_id or self.doc_id,
            title=self.title,
            lang=self.lang,
            kind=self.kind,
            source_url=self.source_url,
        )


class DocumentUpdate(DocumentFields):
    """PUT /documents/{doc_id} as JSON: the new text; a field left out keeps its stored value."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "In 2025, the eighth biennial meeting ... (corrected)"}]}
    )

    text: Annotated[str, AfterValidator(visible_text)]


class DocumentIn(DocumentUpdate):
    """POST /documents as JSON: a title and the text."""

    model_config = ConfigDict(
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

    title: Annotated[str, Field(max_length=MAX_TITLE_CHARS), AfterValidator(visible_text)]


def upload_form_schema() -> dict[str, Any]:
    """The OpenAPI schema of a multipart upload: the file and the fields of :class:`DocumentFields`."""
    fields = DocumentFields.model_json_schema()
    return {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": ".md .txt .html .htm .pdf .docx"},
            **fields["properties"],
        },
    }


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

    doc_id: str = Field(pattern=DOC_ID_PATTERN.pattern, max_length=MAX_DOC_ID_LENGTH)
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

    question: Question
    previous_question: PreviousQuestion | None = None
    lang: LangCode | None = Field(default=None, description="The question's language.")
    verdict: Literal["up", "down"]
    comment: Annotated[str, Field(max_length=MAX_COMMENT_CHARS), AfterValidator(_optional_text)] | None = None
    passages: list[FeedbackPassageIn] = Field(
        default_factory=list, max_length=MAX_FEEDBACK_PASSAGES, description="The passages shown, in order."
    )
    approved: int | None = Field(
        default=None, ge=0, description="With verdict 'up': the index in `passages` of the one that answered."
    )
    answered: bool | None = Field(
        default=None,
        description="The answer's `answered` flag. A verdict is on 'no passage answers' when this is "
        "false or no passages are sent; otherwise on the passages shown (see `marja feedback export`).",
    )
    index_version: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Default: the version served now.",
    )

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
