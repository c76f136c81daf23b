"""Codepoint ranges: collapsing sets of codepoints, and the characters a vocabulary lacks."""

from __future__ import annotations

from collections.abc import Iterable


def ranges(codepoints: Iterable[int]) -> list[tuple[int, int]]:
    """Collapse codepoints into sorted inclusive ranges."""
    out: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def unknown_ranges(pieces: Iterable[str]) -> list[tuple[int, int]]:
    """Ranges of codepoints that occur in no piece (the complement of the vocabulary's chars)."""
    known = sorted({ord(char) for piece in pieces for char in piece})
    gaps, previous = [], -1
    for cp in [*known, 0x110000]:
        if cp > previous + 1:
            gaps.append((previous + 1, cp - 1))
        previous = cp
    return gaps


def char_class(spans: Iterable[tuple[int, int]]) -> str:
    """An Oniguruma character class (the ``tokenizers`` regex dialect) matching the ranges."""
    parts = [
        f"\\x{{{first:X}}}" if first == last else f"\\x{{{first:X}}}-\\x{{{last:X}}}"
        for first, last in spans
    ]
    return "[" + "".join(parts) + "]"
