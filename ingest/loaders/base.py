"""What every loader shares: size limits, strict UTF-8 decoding and front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.errors import DocumentTooLarge, InvalidDocument
from text.cleaning import clean_text

_FRONT_MATTER = re.compile(r"\A---[ \t]*+\n(?P<yaml>.*?\n)?---[ \t]*+(?:\n|\Z)", re.DOTALL)

MAX_FRONT_MATTER_CHARS = 64 * 1024
"""Front matter is a few fields of metadata; more than this is refused rather than parsed."""
MAX_FRONT_MATTER_DEPTH = 16
"""Nesting deeper than this is refused (PyYAML builds nested values by recursion)."""


class _FrontMatterRefused(yaml.YAMLError):
    pass


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without anchors or aliases, and with a nesting limit.

    An alias repeats a whole node: nine nested aliases in 448 bytes expanded to a megabyte of
    metadata (a "billion laughs"). Without them the metadata is never larger than the text.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _FrontMatterRefused(
                "the front matter uses YAML anchors or aliases (&name, *name), which are not "
                "allowed: write each value out"
            )
        self._depth += 1
        try:
            if self._depth > MAX_FRONT_MATTER_DEPTH:
                raise _FrontMatterRefused(
                    f"the front matter nests values more than {MAX_FRONT_MATTER_DEPTH} levels deep"
                )
            return super().compose_node(parent, index)  # type: ignore[no-untyped-call]
        finally:
            self._depth -= 1


@dataclass(frozen=True)
class LoadedText:
    """A loader's output before it becomes a :class:`~core.document.Document`."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    pages: tuple[int, ...] = ()


def check_size(data: bytes, *, source: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"{len(data):,} bytes is over the limit of {max_bytes:,} bytes", source=source)
    if not data.strip():
        raise InvalidDocument("the file is empty", source=source)


def decode_utf8(data: bytes, *, source: str) -> str:
    """Decode strictly as UTF-8 (a BOM is allowed); anything else is a clear error."""
    if b"\x00" in data[:8192]:
        raise InvalidDocument("this looks like a binary file, not text", source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidDocument(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8 and ingest it again",
            source=source,
        ) from e
    return clean_text(text)


def _flow_depth(block: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in ``block`` (quotes ignored: an upper bound), or
    the first depth past the limit.

    Checked before YAML runs: PyYAML's scanner reads a whole run of ``[[[[…`` before the loader
    can refuse it (0.1 s of pure Python for 20,000 of them).
    """
    depth = deepest = 0
    for ch in block:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_FRONT_MATTER_DEPTH:
                break
        elif ch in "]}" and depth:
            depth -= 1
    return deepest


def split_front_matter(text: str, *, source: str) -> tuple[dict[str, Any], str]:
    """Split a leading ``---`` YAML block from the body; returns (metadata, body)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    block = match.group("yaml") or ""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise InvalidDocument(
            f"the front matter is {len(block):,} characters, over the limit of {MAX_FRONT_MATTER_CHARS:,}",
            source=source,
        )
    if _flow_depth(block) > MAX_FRONT_MATTER_DEPTH:
        raise InvalidDocument(
            f"the front matter nests values more than {MAX_FRONT_MATTER_DEPTH} levels deep", source=source
        )
    try:
        meta = yaml.load(block, Loader=_FrontMatterLoader) or {}
    except _FrontMatterRefused as e:
        raise InvalidDocument(str(e), source=source) from e
    except yaml.YAMLError as e:
        raise InvalidDocument(f"the front matter is not valid YAML: {e}", source=source) from e
    if not isinstance(meta, dict):
        raise InvalidDocument("the front matter must be a YAML mapping", source=source)
    return {str(k): v for k, v in meta.items()}, text[match.end() :]
