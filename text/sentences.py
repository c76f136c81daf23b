"""Sentence splitting with exact character offsets (Arabic and Latin punctuation)."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?؟؛…])(?P<closers>[\"'»”’)\]]*+)[ \t]++|\n++")
"""Where a sentence ends: after . ! ? ؟ ؛ … (and the closing quotes or brackets that follow,
which belong to the sentence), or at line ends.

Linear by construction: the quantifiers are possessive and no two of them can match the same
characters. The spaces around a line end are trimmed by :func:`split_sentences`, not matched
(``[ \t]*\n+`` tried from every position of a long run of spaces is quadratic).
"""


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
    for m in [*SENTENCE_END.finditer(text, start, end), None]:
        stop = end if m is None else m.end("closers") if m.group("closers") is not None else m.start()
        s_start = trim_start(text, pos, stop)
        s_end = trim_end(text, s_start, stop)
        if s_end > s_start:
            spans.append((s_start, s_end))
        pos = m.end() if m is not None else end

    # Sentences are separated by whitespace, so a run's word count is the sum of its sentences'.
    merged: list[tuple[int, int]] = []
    merged_words: list[int] = []
    for span in spans:
        n = len(text[span[0] : span[1]].split())
        short = n < min_words or (merged and merged_words[-1] < min_words)
        if merged and short and merged_words[-1] + n <= 3 * min_words:
            merged[-1] = (merged[-1][0], span[1])
            merged_words[-1] += n
        else:
            merged.append(span)
            merged_words.append(n)
    return merged
