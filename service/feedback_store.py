"""Readers' verdicts on answers, kept in SQLite in the data directory.

One row per verdict: the question (and the one before it, for follow-ups), its language, the
passages shown (document id and offsets), which one the reader approved, thumbs up or down, an
optional short comment, the index version and the time. Nothing about the reader is stored.

Every write is its own transaction in WAL mode with ``synchronous=FULL``: once :meth:`add`
returns, the row survives a crash or a power cut. The table is bounded (``max_rows``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from core.errors import FeedbackStoreFailed, FeedbackStoreFull

logger = logging.getLogger(__name__)

Verdict = Literal["up", "down"]
FILE_NAME = "feedback.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at        TEXT    NOT NULL,
    verdict           TEXT    NOT NULL CHECK (verdict IN ('up', 'down')),
    question          TEXT    NOT NULL,
    previous_question TEXT,
    lang              TEXT,
    passages          TEXT    NOT NULL,
    approved          INTEGER,
    answered          INTEGER,
    comment           TEXT,
    index_version     TEXT
)
"""


@dataclass(frozen=True)
class ShownPassage:
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Feedback:
    """One verdict. ``approved`` is the index in ``passages`` of the passage that answered."""

    verdict: Verdict
    question: str
    passages: tuple[ShownPassage, ...] = ()
    previous_question: str | None = None
    lang: str | None = None
    approved: int | None = None
    answered: bool | None = None
    comment: str | None = None
    index_version: str | None = None


@dataclass(frozen=True)
class StoredFeedback(Feedback):
    id: int = 0
    created_at: str = ""


class FeedbackStore:
    """The feedback database of one data directory."""

    def __init__(self, data_dir: Path, *, max_rows: int) -> None:
        self.path = data_dir / FILE_NAME
        self.max_rows = max_rows
        self._write_lock = threading.Lock()  # one writer at a time in this process
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as e:
            raise FeedbackStoreFailed(f"cannot open the feedback database {self.path}: {e}") from e
        try:
            conn.execute("PRAGMA synchronous=FULL")
            if not self._ready:
                conn.execute("PRAGMA journal_mode=WAL")
                with conn:
                    conn.execute(_SCHEMA)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self._ready = True
            yield conn
        except sqlite3.Error as e:
            logger.error("feedback database %s: %s", self.path, e)
            raise FeedbackStoreFailed(f"the feedback database failed: {e}") from e
        finally:
            conn.close()

    def add(self, feedback: Feedback) -> StoredFeedback:
        """Store one verdict; durable when this returns."""
        created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        passages = json.dumps([[p.doc_id, p.start, p.end] for p in feedback.passages])
        with self._write_lock, self._connect() as conn, conn:
            (count,) = conn.execute("SELECT count(*) FROM feedback").fetchone()
            if count >= self.max_rows:
                raise FeedbackStoreFull(
                    f"the feedback store is full ({self.max_rows:,} rows, MARJA_FEEDBACK_MAX_ROWS): "
                    "export it with `marja feedback export` and clear it"
                )
            cursor = conn.execute(
                "INSERT INTO feedback (created_at, verdict, question, previous_question, lang, passages, "
                "approved, answered, comment, index_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    created,
                    feedback.verdict,
                    feedback.question,
                    feedback.previous_question,
                    feedback.lang,
                    passages,
                    feedback.approved,
                    None if feedback.answered is None else int(feedback.answered),
                    feedback.comment,
                    feedback.index_version,
                ),
            )
            row_id = int(cursor.lastrowid or 0)
        logger.info("feedback %d: %s", row_id, feedback.verdict)
        return StoredFeedback(**_fields(feedback), id=row_id, created_at=created)

    def list(
        self, *, after_id: int = 0, limit: int = 100, verdict: Verdict | None = None
    ) -> list[StoredFeedback]:
        """Rows with an id above ``after_id``, oldest first (page with the last id seen)."""
        if not self.path.exists():
            return []
        query = "SELECT * FROM feedback WHERE id > ?"
        args: list[object] = [after_id]
        if verdict:
            query += " AND verdict = ?"
            args.append(verdict)
        query += " ORDER BY id LIMIT ?"
        args.append(limit)
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            return [_stored(row) for row in conn.execute(query, args)]

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM feedback").fetchone()[0])

    def all(self, *, verdict: Verdict | None = None, page: int = 1000) -> Iterator[StoredFeedback]:
        """Every row, oldest first, read a page at a time."""
        after = 0
        while rows := self.list(after_id=after, limit=page, verdict=verdict):
            yield from rows
            after = rows[-1].id


def _fields(feedback: Feedback) -> dict[str, Any]:
    return {name: getattr(feedback, name) for name in Feedback.__dataclass_fields__}


def _passages(raw: str) -> tuple[ShownPassage, ...]:
    items: Sequence[Sequence[object]] = json.loads(raw)
    return tuple(ShownPassage(str(d), int(str(s)), int(str(e))) for d, s, e in items)


def _stored(row: sqlite3.Row) -> StoredFeedback:
    answered = row["answered"]
    return StoredFeedback(
        id=row["id"],
        created_at=row["created_at"],
        verdict=row["verdict"],
        question=row["question"],
        previous_question=row["previous_question"],
        lang=row["lang"],
        passages=_passages(row["passages"]),
        approved=row["approved"],
        answered=None if answered is None else bool(answered),
        comment=row["comment"],
        index_version=row["index_version"],
    )
