"""Plain text and Markdown: UTF-8 text with optional YAML front matter."""

from __future__ import annotations

from ingest.loaders.base import LoadedText, decode_utf8, split_front_matter


def load_text_bytes(data: bytes, *, source: str) -> LoadedText:
    metadata, body = split_front_matter(decode_utf8(data, source=source), source=source)
    return LoadedText(text=body, metadata=metadata)
