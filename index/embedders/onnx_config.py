"""What an ONNX model directory holds, as written by :mod:`index.model_build.onnx_folder`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

CONFIG_FILE = "marja-onnx.json"

TokenizerKind = Literal["e5-sentencepiece", "tokenizers"]
Pooling = Literal["mean", "cls", "max"]


@dataclass(frozen=True)
class OnnxModelConfig:
    """How to run the graph in ``model_file``: its inputs, tokenizer, prompts and pooling."""

    model_file: str
    tokenizer: TokenizerKind
    dim: int
    max_tokens: int
    precision: str
    pooling: Pooling = "mean"
    normalize: bool = True
    pad_id: int = 0
    split_special_tokens: bool = False
    """``tokenizers`` only: a literal ``<s>`` in a text is text, not a marker."""
    query_prefix: str = ""
    passage_prefix: str = ""
    inputs: list[str] = field(default_factory=lambda: ["input_ids", "attention_mask"])

    def save(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"
        (directory / CONFIG_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> OnnxModelConfig:
        return cls(**json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8")))
