"""A padded batch of token ids, as the ONNX graphs take them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TokenIds:
    """``ids`` and ``mask`` are ``[batch, longest]`` int64 arrays; padding has mask 0."""

    ids: np.ndarray
    mask: np.ndarray

    @classmethod
    def from_lists(cls, rows: Sequence[Sequence[int]], *, pad_id: int) -> TokenIds:
        longest = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), longest), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), longest), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return cls(ids, mask)

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)

    def feeds(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """The graph's inputs by name (token types are all 0)."""
        available = {"input_ids": self.ids, "attention_mask": self.mask}
        return {n: available[n] if n in available else np.zeros_like(self.ids) for n in names}
