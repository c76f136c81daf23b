"""Structure-aware chunking with exact character offsets.

A document is first cut into blocks (headings, paragraphs, list items), so that one item of a
list (one event of the source page) never shares a chunk with another. Short paragraphs under
the same heading and on the same page are joined; a block longer than ``max_chars`` is split at sentence ends
(. ! ? ؟ ؛ and line ends). Every chunk satisfies ``document.text[start:end] == chunk.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.document import Chunk, Document
from ingest.blocks import Block, parse_blocks
from text.clipping import clip
from text.language import UNDETERMINED, detect_language
from text.ordinals import chunk_ordinals
from text.sentences import split_sentences, trim_end, trim_start
from text.years import years_mentioned

_SPACE = re.compile(r"\s")


MAX_CONTEXT_PART = 200
"""Characters of the title and of each heading that go into a chunk's context. The context is
repeated in every chunk under the heading (and embedded with it): unclipped, one heading of
100,000 characters over 1,000 paragraphs would make 100 MB of context."""


@dataclass(frozen=True)
class ChunkingOptions:
    max_chars: int = 1200
    """A block longer than this is split at sentence ends."""
    min_chars: int = 200
    """A paragraph shorter than this is joined with the next paragraph under the same heading."""


def _hard_split(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split one over-long sentence at the last whitespace before ``max_chars``."""
    spans = []
    while end - start > max_chars:
        cut = start + max_chars
        space = max((m.start() for m in _SPACE.finditer(text, start + max_chars // 2, cut)), default=cut)
        spans.append((start, trim_end(text, start, space)))
        start = trim_start(text, space, end)
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
        context = " › ".join(clip(p, MAX_CONTEXT_PART) for p in parts if p)
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
                ordinals=chunk_ordinals(context, chunk_text),
            )
        )
    return chunks
