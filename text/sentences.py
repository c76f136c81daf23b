"""Sentence splitting with exact character offsets (Arabic and Latin punctuation)."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?؟؛…])[\"'»”’)\]]*[ \t]+|[ \t]*\n+[ \t]*")
"""Where a sentence ends: after . ! ? ؟ ؛ … (and closing quotes or brackets), or at line ends."""


def trim_end(text: str, start: int, end: int) -> int:
    """``end`` moved left past whitespace, not beyond ``start``."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def trim_start(text: str, start: int, end: int) -> int:
    """``start`` moved right past whitespace, not beyond ``end``."""
    while start < end and text[start].isspace():
        start += 1
    return start


def split_sentences(text: str, start: int, end: int, *, min_words: int = 6) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed.

    A fragment of fewer than ``min_words`` words (a clause cut off by ؛, a stray "...") is
    joined to the sentence before it, or to the one after it when it comes first: alone, such
    fragments match almost any question. Joining stops at ``3 * min_words`` words, so a run of
    short sentences does not become one long one.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    for m in SENTENCE_END.finditer(text, start, end):
        s_end = trim_end(text, pos, m.start())
        if s_end > pos:
            spans.append((pos, s_end))
        pos = m.end()
    s_start = trim_start(text, pos, end)
    s_end = trim_end(text, s_start, end)
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
