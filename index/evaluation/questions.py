"""Read a question set: JSON Lines, CSV or JSON, one question per row, validated strictly.

A question set is user input: its size, its number of rows and every field are bounded, unknown
fields are refused (a misspelt ``doc-id`` would otherwise be silently ignored), and every
problem is reported with the row it is on.

Fields of a row (see :mod:`index.evaluation.rules` for what the hit rules mean):

``question`` (required) · ``id`` · ``doc_id`` · ``text`` (a string, or in JSON a list of
alternatives) · ``start`` and ``end`` (with ``doc_id``) · ``year`` (a year, or in JSON a list of
alternatives) · ``lang`` (the question's
language, for per-language figures; detected when absent) · ``filters`` (``year``, ``lang``,
``doc_id``, ``kind``: what ``/ask`` accepts; in CSV a JSON object) · ``answerable`` (``false``
for questions nothing in the collection should answer; they take no hit rules).

An answerable question needs at least one hit rule.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.document import DOC_ID_PATTERN, MAX_DOC_ID_LENGTH
from core.errors import InvalidQuestionSet
from core.limits import LANG_CODE_PATTERN, MAX_KIND_CHARS, MAX_QUESTION_CHARS, MAX_YEAR, MIN_YEAR
from index.evaluation.rules import HitRule, fold
from index.records import Filters
from text.cleaning import strip_controls

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_QUESTIONS = 10_000
MAX_PHRASE_CHARS = 2000
MAX_PHRASES = 20
MAX_YEARS = 50
MAX_ERRORS_SHOWN = 10
FORMATS = (".jsonl", ".csv", ".json")

_LANG = LANG_CODE_PATTERN


@dataclass(frozen=True)
class EvalQuestion:
    where: str
    """Where it is in the file, for messages: ``line 7`` (JSON Lines), ``row 7`` (CSV, the header
    being row 1) or ``question 7`` (JSON)."""
    question: str
    rule: HitRule
    lang: str | None = None
    filters: Filters = field(default_factory=Filters)
    answerable: bool = True
    id: str | None = None


def _clean(value: str) -> str:
    # Lone surrogates never get here: pydantic refuses them as strings.
    return strip_controls(value).strip()


class _Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    lang: str | None = Field(default=None, pattern=_LANG)
    doc_id: str | None = Field(default=None, max_length=MAX_DOC_ID_LENGTH, pattern=DOC_ID_PATTERN.pattern)
    kind: str | None = Field(default=None, max_length=MAX_KIND_CHARS)


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUESTION_CHARS)
    id: str | None = Field(default=None, max_length=200)
    doc_id: str | None = Field(default=None, max_length=MAX_DOC_ID_LENGTH, pattern=DOC_ID_PATTERN.pattern)
    text: str | list[str] | None = Field(default=None, description="One text, or alternatives.")
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    year: int | list[int] | None = Field(default=None, description="One year, or alternatives.")
    lang: str | None = Field(default=None, pattern=_LANG)
    filters: _Filters | None = None
    answerable: bool = True

    @field_validator("question", "id")
    @classmethod
    def _clean_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _clean(value)
        if not value:
            raise ValueError("is empty")
        return value

    @field_validator("text")
    @classmethod
    def _phrases(cls, value: str | list[str] | None) -> list[str] | None:
        if value is None:
            return None
        phrases = [value] if isinstance(value, str) else value
        if not phrases or len(phrases) > MAX_PHRASES:
            raise ValueError(f"give 1 to {MAX_PHRASES} texts")
        cleaned = []
        for phrase in phrases:
            if len(phrase) > MAX_PHRASE_CHARS:
                raise ValueError(f"a text is over the limit of {MAX_PHRASE_CHARS:,} characters")
            folded = fold(_clean(phrase))
            if not folded:
                raise ValueError("a text is empty")
            cleaned.append(folded)
        return cleaned

    @field_validator("year")
    @classmethod
    def _years(cls, value: int | list[int] | None) -> list[int] | None:
        if value is None:
            return None
        years = [value] if isinstance(value, int) else value
        if not years or len(years) > MAX_YEARS:
            raise ValueError(f"give 1 to {MAX_YEARS} years")
        if any(not MIN_YEAR <= y <= MAX_YEAR for y in years):
            raise ValueError(f"a year must be between {MIN_YEAR} and {MAX_YEAR}")
        return years

    @model_validator(mode="after")
    def _consistent(self) -> _Row:
        if (self.start is None) != (self.end is None):
            raise ValueError("'start' and 'end' go together")
        if self.start is not None and self.end is not None:
            if self.end <= self.start:
                raise ValueError("'end' must be greater than 'start'")
            if self.doc_id is None:
                raise ValueError("'start'/'end' need the 'doc_id' they are offsets into")
        has_rule = any(v is not None for v in (self.doc_id, self.text, self.start, self.year))
        if self.answerable and not has_rule:
            raise ValueError("say what counts as a hit: 'doc_id', 'text', 'start'/'end' or 'year'")
        if not self.answerable and has_rule:
            raise ValueError("a question with 'answerable: false' takes no hit rule")
        return self

    def to_question(self, where: str) -> EvalQuestion:
        f = self.filters or _Filters()
        span = (self.start, self.end) if self.start is not None and self.end is not None else None
        phrases = (self.text,) if isinstance(self.text, str) else tuple(self.text or ())
        years = (self.year,) if isinstance(self.year, int) else tuple(self.year or ())
        return EvalQuestion(
            where=where,
            id=self.id,
            question=self.question,
            rule=HitRule(doc_id=self.doc_id, phrases=phrases, span=span, years=years),
            lang=self.lang,
            filters=Filters(year=f.year, lang=f.lang, doc_id=f.doc_id, kind=f.kind),
            answerable=self.answerable,
        )


def _describe(error: Mapping[str, Any]) -> str:
    name = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
    if error.get("type") == "extra_forbidden":
        return f"unknown field {name!r}"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{name}: {message}" if name else message


def _json_rows(text: str) -> Iterator[tuple[str, object]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise InvalidQuestionSet(f"not valid JSON: {e}") from e
    if isinstance(data, dict) and set(data) == {"questions"}:
        data = data["questions"]
    if not isinstance(data, list):
        raise InvalidQuestionSet('a JSON question set is a list of questions (or {"questions": [...]})')
    for i, item in enumerate(data, start=1):
        yield f"question {i}", item


def _jsonl_rows(text: str) -> Iterator[tuple[str, object]]:
    # Split on line feeds only: U+2028 and friends may appear inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except (ValueError, RecursionError) as e:
            raise InvalidQuestionSet(f"line {number}: not valid JSON: {e}") from e


def _csv_rows(text: str) -> Iterator[tuple[str, object]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = reader.fieldnames or []
    except csv.Error as e:
        raise InvalidQuestionSet(f"not valid CSV: {e}") from e
    if "question" not in columns:
        raise InvalidQuestionSet("a CSV question set needs a header row with a 'question' column")
    unknown = [c for c in columns if c not in _Row.model_fields]
    if unknown:
        raise InvalidQuestionSet(
            f"unknown column {unknown[0]!r}; columns are: " + ", ".join(_Row.model_fields)
        )
    try:
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise InvalidQuestionSet(f"row {number}: more cells than header columns")
            cells: dict[str, object] = {k: v for k, v in row.items() if v not in (None, "")}
            if isinstance(cells.get("filters"), str):
                try:
                    cells["filters"] = json.loads(str(cells["filters"]))
                except ValueError as e:
                    raise InvalidQuestionSet(f"row {number}: filters: not a JSON object: {e}") from e
            yield f"row {number}", cells
    except csv.Error as e:
        raise InvalidQuestionSet(f"not valid CSV: {e}") from e


_READERS = {".jsonl": _jsonl_rows, ".json": _json_rows, ".csv": _csv_rows}


def parse_question_set(text: str, *, suffix: str) -> list[EvalQuestion]:
    """The questions in ``text``, a question set in the format ``suffix`` names."""
    rows = _READERS.get(suffix.lower())
    if rows is None:
        raise InvalidQuestionSet(f"unsupported format {suffix or '(none)'!r}: use " + ", ".join(FORMATS))
    questions: list[EvalQuestion] = []
    errors: list[str] = []
    for where, item in rows(text):
        if len(questions) + len(errors) >= MAX_QUESTIONS:
            raise InvalidQuestionSet(f"more than {MAX_QUESTIONS:,} questions; split the set")
        if not isinstance(item, dict):
            errors.append(f"{where}: a question is an object with a 'question' field")
            continue
        try:
            questions.append(_Row.model_validate(item).to_question(where))
        except ValidationError as e:
            errors.append(f"{where}: " + "; ".join(_describe(err) for err in e.errors()))
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = f"\n(and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        raise InvalidQuestionSet("\n".join(shown) + more)
    if not questions:
        raise InvalidQuestionSet("the question set has no questions")
    ids = [q.id for q in questions if q.id is not None]
    if len(ids) != len(set(ids)):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InvalidQuestionSet(f"the id {duplicate!r} is given to more than one question")
    return questions


def read_question_set(path: Path) -> list[EvalQuestion]:
    """Read and validate the question set at ``path`` (``.jsonl``, ``.csv`` or ``.json``)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidQuestionSet(f"{path}: over the limit of {MAX_FILE_BYTES:,} bytes")
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise InvalidQuestionSet(f"{path}: cannot read: {e.strerror}") from e
    if len(data) > MAX_FILE_BYTES:
        raise InvalidQuestionSet(f"{path}: over the limit of {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidQuestionSet(f"{path}: not UTF-8 text (byte {e.start})") from e
    try:
        return parse_question_set(text, suffix=path.suffix)
    except InvalidQuestionSet as e:
        raise InvalidQuestionSet(f"{path}: {e}") from e
