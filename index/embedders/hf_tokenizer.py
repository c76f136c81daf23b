"""A Hugging Face ``tokenizer.json`` at run time (models exported from sentence-transformers)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from index.embedders.token_ids import TokenIds


class HFTokenizer:
    def __init__(self, directory: Path, *, pad_id: int, split_special_tokens: bool = False) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.encode_special_tokens = split_special_tokens
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._specials = self._tokenizer.num_special_tokens_to_add(False)
        self.pad_id = pad_id

    def ids(self, text: str, *, max_tokens: int) -> list[int]:
        """The text's tokens, the first ``max_tokens`` minus the special ones, plus the specials."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        encoding.truncate(max(1, max_tokens - self._specials))
        return list(self._tokenizer.post_process(encoding).ids)

    def encode(self, texts: Sequence[str], *, max_tokens: int) -> TokenIds:
        return TokenIds.from_lists([self.ids(t, max_tokens=max_tokens) for t in texts], pad_id=self.pad_id)
