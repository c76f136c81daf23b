"""Cutting a text to a length at a word boundary, for bounded copies (contexts, follow-ups)."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when there is one in the second
    half, with "…" marking the cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[: cut if cut > 0 else limit - 1].rstrip() + "…"
