"""Structure-aware chunking with exact character offsets.

A document is first cut into blocks (headings, paragraphs, list items), so that one item of a
list (one event of the source page) never shares a chunk with another. Short paragraphs under
the same heading and on the same page are joined; a block longer than ``max_chars`` is split at sentence ends
(. ! ? ؟ ؛ and line ends). Every chunk satisfies ``document.text[start:end] == chunk.text``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.document import Chunk, Document
from ingest.language import UNDETERMINED, detect_language, years_mentioned

_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+•▪◦‣·]|\d{1,3}[.)])[ \t]+(?=\S)")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?؟؛…])[\"'»”’)\]]*[ \t]+|[ \t]*\n+[ \t]*")
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Block:
    """A structural unit of a document: ``kind`` is "heading", "paragraph" or "item"."""

    kind: str
    start: int
    end: int
    level: int = 0


@dataclass(frozen=True)
class ChunkingOptions:
    max_chars: int = 1200
    """A block longer than this is split at sentence ends."""
    min_chars: int = 200
    """A paragraph shorter than this is joined with the next paragraph under the same heading."""


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line, without its newline."""
    start = 0
    for m in re.finditer(r"\n", text):
        yield start, m.start()
        start = m.end()
    yield start, len(text)


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _lstrip_start(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def parse_blocks(text: str) -> list[Block]:
    """Cut ``text`` (Markdown or plain text) into headings, paragraphs and list items."""
    blocks: list[Block] = []
    open_kind: str | None = None
    open_start = open_end = 0

    def close() -> None:
        nonlocal open_kind
        if open_kind is not None:
            blocks.append(Block(open_kind, open_start, _rstrip_end(text, open_start, open_end)))
        open_kind = None

    for line_start, line_end in _lines(text):
        line = text[line_start:line_end]
        if not line.strip():
            close()
            continue
        if heading := _HEADING.match(line):
            close()
            t_start = line_start + heading.start("title")
            t_end = line_start + heading.end("title")
            if t_end > t_start:
                blocks.append(Block("heading", t_start, t_end, level=len(heading.group(1))))
            continue
        if _RULE.match(line):
            close()
            continue
        if item := _ITEM.match(line):
            close()
            open_kind, open_start, open_end = "item", line_start + item.end(), line_end
            continue
        if open_kind is None:
            open_kind = "paragraph"
            open_start = _lstrip_start(text, line_start, line_end)
        open_end = line_end
    close()
    return blocks


def split_sentences(text: str, start: int, end: int, *, min_words: int = 6) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed.

    A fragment of fewer than ``min_words`` words (a clause cut off by ؛, a stray "...") is
    joined to the sentence before it, or to the one after it when it comes first: alone, such
    fragments match almost any question. Joining stops at ``3 * min_words`` words, so a run of
    short sentences does not become one long one.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        s_end = _rstrip_end(text, pos, m.start())
        if s_end > pos:
            spans.append((pos, s_end))
        pos = m.end()
    s_start = _lstrip_start(text, pos, end)
    s_end = _rstrip_end(text, s_start, end)
    if s_end > s_start:
        spans.append((s_start, s_end))

    def words(span: tuple[int, int]) -> int:
        return len(text[span[0] : span[1]].split())

    merged: list[tuple[int, int]] = []
    for span in spans:
        short = words(span) < min_words or (merged and words(merged[-1]) < min_words)
        if merged and short and words((merged[-1][0], span[1])) <= 3 * min_words:
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
    return merged


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split one over-long sentence at the last whitespace before ``max_chars``."""
    spans = []
    while end - start > max_chars:
        cut = start + max_chars
        space = max((m.start() for m in _SPACE.finditer(text, start + max_chars // 2, cut)), default=cut)
        spans.append((start, _rstrip_end(text, start, space)))
        start = _lstrip_start(text, space, end)
    if end > start:
        spans.append((start, end))
    return spans


def _pack(sentences: list[tuple[int, int]], max_chars: int) -> list[list[tuple[int, int]]]:
    """Group consecutive sentences into runs of at most ``max_chars`` characters."""
    groups: list[list[tuple[int, int]]] = []
    for s in sentences:
        if groups and s[1] - groups[-1][0][0] <= max_chars:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def _spans_of_block(text: str, block: Block, options: ChunkingOptions) -> list[list[tuple[int, int]]]:
    sentences = split_sentences(text, block.start, block.end)
    if block.end - block.start <= options.max_chars:
        return [sentences]
    pieces: list[tuple[int, int]] = []
    for s_start, s_end in sentences:
        pieces.extend(_hard_split(text, s_start, s_end, options.max_chars))
    return _pack(pieces, options.max_chars)


def chunk_document(document: Document, options: ChunkingOptions | None = None) -> list[Chunk]:
    """Cut ``document`` into chunks; see the module docstring for the rules."""
    options = options or ChunkingOptions()
    text = document.text
    headings: dict[int, str] = {}
    groups: list[tuple[str, list[tuple[int, int]]]] = []  # (context, sentence spans)
    joinable = False  # may the next paragraph join the last group?

    for block in parse_blocks(text):
        if block.kind == "heading":
            headings = {lvl: t for lvl, t in headings.items() if lvl < block.level}
            headings[block.level] = text[block.start : block.end]
            joinable = False
            continue
        parts = [document.title, *(headings[lvl] for lvl in sorted(headings))]
        context = " › ".join(p for p in parts if p)
        for spans in _spans_of_block(text, block, options):
            if (
                joinable
                and block.kind == "paragraph"
                and groups[-1][0] == context
                and spans[-1][1] - groups[-1][1][0][0] <= options.max_chars
                and document.page_at(spans[0][0]) == document.page_at(groups[-1][1][0][0])
            ):
                groups[-1][1].extend(spans)
            else:
                groups.append((context, list(spans)))
            first = groups[-1][1]
            joinable = block.kind == "paragraph" and first[-1][1] - first[0][0] < options.min_chars

    chunks = []
    for ordinal, (context, spans) in enumerate(groups):
        start, end = spans[0][0], spans[-1][1]
        chunk_text = text[start:end]
        lang = detect_language(chunk_text)
        chunks.append(
            Chunk(
                doc_id=document.doc_id,
                ordinal=ordinal,
                start=start,
                end=end,
                text=chunk_text,
                context=context,
                lang=document.lang if lang == UNDETERMINED else lang,
                years=tuple(sorted(set(years_mentioned(chunk_text)) | set(years_mentioned(context)))),
                page=document.page_at(start),
                sentences=tuple(spans),
            )
        )
    return chunks
