"""Per-language mean vectors: what makes cosines comparable across languages.

multilingual-e5 puts every text near a direction shared by its language, so a question scores
systematically higher against passages in its own language: in a mixed collection the answer
in the other language rarely comes first (XQuAD split pool, recall@1 .06–.09 across languages).
Subtracting each language's mean vector from its passages, and the question language's mean
from the question, removes that direction; cosines of the centred vectors compare passages of
different languages fairly (Libovický et al., 2020, "On the language neutrality of pre-trained
multilingual representations").

The means are the collection's own: each index version stores, per chunk language, the sum and
the count of its chunk vectors (``language_means.npz``), updated from the changes of each ingest.
A language's mean is shrunk towards the collection-wide mean with a prior weight of ``SHRINK``
chunks, so a language with a handful of chunks is barely centred instead of being centred on
itself. A collection is *multilingual* when at least two languages have ``MIN_CHUNKS`` chunks
each; otherwise nothing here is used and ranking is exactly the monolingual one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from text.language import UNDETERMINED

logger = logging.getLogger(__name__)

MEANS = "language_means.npz"
MIN_CHUNKS = 3
"""A language needs this many chunks to make a collection multilingual."""
SHRINK = 1.0
"""Prior weight, in chunks, of the collection-wide mean in each language's mean."""


@dataclass(frozen=True)
class LanguageMeans:
    """Sum and count of the chunk vectors of each language of one index version."""

    langs: tuple[str, ...]
    counts: np.ndarray  # int64 [languages]
    sums: np.ndarray  # float64 [languages, dim]

    @classmethod
    def empty(cls, dim: int) -> LanguageMeans:
        return cls((), np.zeros(0, np.int64), np.zeros((0, dim), np.float64))

    @classmethod
    def of(cls, vectors: np.ndarray, langs: Sequence[str], *, dim: int) -> LanguageMeans:
        return cls.empty(dim).with_changes(added=(vectors, langs))

    @classmethod
    def of_batches(cls, batches: Iterable[tuple[np.ndarray, Sequence[str]]], *, dim: int) -> LanguageMeans:
        means = cls.empty(dim)
        for batch in batches:
            means = means.with_changes(added=batch)
        return means

    @property
    def dim(self) -> int:
        return int(self.sums.shape[1])

    def count(self, lang: str) -> int:
        return int(self.counts[self.langs.index(lang)]) if lang in self.langs else 0

    def with_changes(
        self,
        *,
        added: tuple[np.ndarray, Sequence[str]] | None = None,
        removed: tuple[np.ndarray, Sequence[str]] | None = None,
    ) -> LanguageMeans:
        """The statistics after adding and removing chunk vectors (with their languages)."""
        sums = {lang: self.sums[i].copy() for i, lang in enumerate(self.langs)}
        counts = {lang: int(self.counts[i]) for i, lang in enumerate(self.langs)}
        for sign, change in ((1.0, added), (-1.0, removed)):
            if change is None:
                continue
            vectors, langs = change
            vectors = np.asarray(vectors, dtype=np.float64).reshape(-1, self.dim)
            codes = np.asarray(list(langs))
            for lang in np.unique(codes).tolist():
                rows = codes == lang
                sums[lang] = sums.get(lang, np.zeros(self.dim)) + sign * vectors[rows].sum(axis=0)
                counts[lang] = counts.get(lang, 0) + int(sign) * int(rows.sum())
        kept = sorted(lang for lang, n in counts.items() if n > 0)
        if not kept:
            return LanguageMeans.empty(self.dim)
        return LanguageMeans(
            tuple(kept),
            np.array([counts[lang] for lang in kept], dtype=np.int64),
            np.stack([sums[lang] for lang in kept]),
        )

    @property
    def qualified(self) -> tuple[str, ...]:
        """The languages with enough chunks to count (``und``, text without letters, never does)."""
        return tuple(
            lang
            for lang, n in zip(self.langs, self.counts.tolist(), strict=True)
            if n >= MIN_CHUNKS and lang != UNDETERMINED
        )

    @property
    def multilingual(self) -> bool:
        return len(self.qualified) >= 2

    def overall(self) -> np.ndarray:
        """The mean of every chunk vector of the collection."""
        total = int(self.counts.sum())
        if total == 0:
            return np.zeros(self.dim, np.float32)
        return (self.sums.sum(axis=0) / total).astype(np.float32)

    def mean(self, lang: str) -> np.ndarray:
        """The mean vector of ``lang``, shrunk towards the collection's (its mean if absent)."""
        overall = self.overall().astype(np.float64)
        if lang not in self.langs:
            return overall.astype(np.float32)
        i = self.langs.index(lang)
        return ((self.sums[i] + SHRINK * overall) / (self.counts[i] + SHRINK)).astype(np.float32)

    def save(self, directory: Path) -> None:
        """Write ``language_means.npz`` into ``directory`` atomically (a reader sees it whole or not
        at all: it may be added to a published version, see :class:`index.snapshot.Snapshot`)."""
        partial = directory / (MEANS + ".partial")
        with partial.open("wb") as out:
            np.savez(out, langs=np.asarray(self.langs, dtype="<U8"), counts=self.counts, sums=self.sums)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, directory / MEANS)

    @classmethod
    def load(cls, directory: Path, *, dim: int) -> LanguageMeans | None:
        """The stored statistics, or None for a version written before they were stored."""
        path = directory / MEANS
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            langs = tuple(str(x) for x in data["langs"].tolist())
            counts = np.asarray(data["counts"], dtype=np.int64)
            sums = np.asarray(data["sums"], dtype=np.float64).reshape(len(langs), dim)
        return cls(langs, counts, sums)


@dataclass(frozen=True)
class CentredQuery:
    """A question for one multilingual collection: its raw vector, its centred one, and the mean
    each passage language is centred on."""

    raw: np.ndarray  # the question's vector
    vector: np.ndarray  # unit(q − mean of the question's language)
    langs: tuple[str, ...]
    means: np.ndarray  # float32 [languages + 1, dim]: each language's mean, then the fallback
    _columns: np.ndarray  # [dim, 2 + languages + 1]: q, q′, then every mean
    _mean_dot_q: np.ndarray  # m·q′ of every mean
    _mean_norm2: np.ndarray  # ‖m‖² of every mean

    @classmethod
    def of(cls, query: np.ndarray, *, lang: str, means: LanguageMeans) -> CentredQuery:
        raw = np.asarray(query, dtype=np.float32).reshape(-1)
        q = raw - means.mean(lang)
        norm = float(np.linalg.norm(q))
        vector = q / norm if norm > 0 else q
        # The fallback (the collection's mean) is the last row: for a language the statistics
        # do not know.
        table = np.stack([*(means.mean(lang) for lang in means.langs), means.overall()]).astype(np.float32)
        return cls(
            raw=raw,
            vector=vector,
            langs=means.langs,
            means=table,
            _columns=np.column_stack([raw, vector, table.T]).astype(np.float32),
            _mean_dot_q=table @ vector,
            _mean_norm2=np.einsum("ij,ij->i", table, table),
        )

    def centre_index(self, langs: Sequence[str]) -> np.ndarray:
        """For each of ``langs``, the row of ``means`` it is centred on."""
        table = {lang: i for i, lang in enumerate(self.langs)}
        fallback = len(self.langs)
        return np.array([table.get(lang, fallback) for lang in langs], dtype=np.int64)

    def cosines(self, vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
        """Raw and centred cosines of each row ``v`` of ``vectors`` (unit or near-unit): column 0
        is v·q, column 1 cos(v − m, q′) with m the mean of row ``centres`` of ``means``.

        One matrix product for both, without materialising the centred vectors:
        cos(v − m, q′) = (v·q′ − m·q′) / ‖v − m‖, ‖v − m‖² = ‖v‖² − 2·v·m + ‖m‖².
        """
        v = np.asarray(vectors, dtype=np.float32)
        products = v @ self._columns  # [n, 2 + means]
        rows = np.arange(len(v))
        vm = products[rows, 2 + centres]
        sq = np.einsum("ij,ij->i", v, v) - 2 * vm + self._mean_norm2[centres]
        centred = (products[:, 1] - self._mean_dot_q[centres]) / np.sqrt(np.maximum(sq, 1e-12))
        return np.column_stack([products[:, 0], centred]).astype(np.float32)
