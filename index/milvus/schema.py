"""The collections of one index version in Milvus, their names and their schemas.

Version ``v000007`` of the index with prefix ``marja`` is four collections:

- ``marja_v000007_chunks``: per chunk its id, vector (exact ``FLAT`` search below the HNSW
  threshold, ``HNSW`` from it, as with FAISS), the analysed terms (:mod:`text.analyzer`) joined by
  spaces, from which Milvus's BM25 function makes a sparse vector (``standard`` tokenizer: marja's
  terms are words of letters and digits, so it splits them where marja did), the language,
  document id, kind, years, the document's year, the ordinals that number an event in it,
  offsets, page, text, context, sentence offsets and content hash. Filters are expressions over
  these fields (:mod:`index.milvus.expressions`).
- ``marja_v000007_sentences``: one row per sentence of a multi-sentence chunk: chunk id,
  position, vector (stored rounded to float16, like the local files).
- ``marja_v000007_documents``: each document's fields (JSON) and full text, split into parts of
  at most ``PART_BYTES``; and, under the empty owner, the version's manifest and per-language
  vector statistics.
- ``marja_v000007_terms``: each term's document frequency, for the question's BM25 maximum.

The alias ``marja`` names the current version's chunks collection: switching it publishes a
version. Every collection has a vector field, which Milvus requires; the bookkeeping ones a
two-dimensional ``pad``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from index.backends.base import BM25_B, BM25_K1
from index.backends.faiss_dense import HNSW_EF_CONSTRUCTION, HNSW_M
from text.ordinals import MAX_ORDINAL
from text.years import FIRST_YEAR, LAST_YEAR

KINDS = ("chunks", "sentences", "documents", "terms")
PART_BYTES = 60_000
"""Largest UTF-8 payload of one row (VARCHAR holds 65,535 bytes on a Milvus server)."""
VARCHAR_MAX = 65_535
MAX_YEARS = LAST_YEAR - FIRST_YEAR + 1
"""Distinct years a chunk can mention."""
MAX_ORDINALS = MAX_ORDINAL
"""Distinct ordinals a chunk can mention (2 to ``MAX_ORDINAL``, fewer in practice)."""
PAD = [1.0, 0.0]


@dataclass(frozen=True)
class VersionNames:
    """The collection names of version ``number`` of the index ``prefix``."""

    prefix: str
    number: int

    @property
    def version(self) -> str:
        return f"v{self.number:06d}"

    def _name(self, kind: str) -> str:
        return f"{self.prefix}_{self.version}_{kind}"

    @property
    def chunks(self) -> str:
        return self._name("chunks")

    @property
    def sentences(self) -> str:
        return self._name("sentences")

    @property
    def documents(self) -> str:
        return self._name("documents")

    @property
    def terms(self) -> str:
        return self._name("terms")

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(self._name(kind) for kind in KINDS)


def version_of(prefix: str, collection: str) -> int | None:
    """The version number of one of ``prefix``'s version collections, else None."""
    match = re.fullmatch(rf"{re.escape(prefix)}_v([0-9]{{6,}})_({'|'.join(KINDS)})", collection)
    return int(match.group(1)) if match else None


def writer_alias(prefix: str) -> str:
    return f"{prefix}_writer"


def lock_name(prefix: str) -> str:
    return f"{prefix}_lock_{uuid.uuid4().hex}"


def is_lock(prefix: str, collection: str) -> bool:
    return re.fullmatch(rf"{re.escape(prefix)}_lock_[0-9a-f]{{32}}", collection) is not None


def _create(client: Any, name: str, schema: Any, index: Any) -> None:
    # The index is created without waiting for it (pymilvus polls every half second otherwise);
    # loading waits until it is usable.
    client.create_collection(name, schema=schema)
    client.create_index(name, index, sync=False)
    client.load_collection(name)


def create_chunks(client: Any, name: str, *, dim: int, hnsw: bool) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=VARCHAR_MAX,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="terms_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["bm25"],
        )
    )
    schema.add_field("lang", DataType.VARCHAR, max_length=64)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=128)
    schema.add_field("kind", DataType.VARCHAR, max_length=256)
    schema.add_field("years", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_YEARS)
    schema.add_field("doc_year", DataType.INT64)
    schema.add_field("ordinals", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_ORDINALS)
    schema.add_field("ordinal", DataType.INT64)
    schema.add_field("start_offset", DataType.INT64)
    schema.add_field("end_offset", DataType.INT64)
    schema.add_field("page", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("context", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("sentences", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("content_hash", DataType.VARCHAR, max_length=64)
    index = client.prepare_index_params()
    if hnsw:
        index.add_index(
            "vector",
            index_type="HNSW",
            metric_type="IP",
            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
        )
    else:
        index.add_index("vector", index_type="FLAT", metric_type="IP")
    index.add_index(
        "bm25",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    index.add_index("lang", index_type="INVERTED")
    index.add_index("doc_id", index_type="INVERTED")
    _create(client, name, schema, index)


def create_sentences(client: Any, name: str, *, dim: int) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("chunk_id", DataType.INT64)
    schema.add_field("position", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    index.add_index("chunk_id", index_type="INVERTED")
    _create(client, name, schema, index)


def create_parts(client: Any, name: str) -> None:
    """Payloads split in parts: ``owner`` (a document id, or "" for the version's own records),
    ``stream`` (what the payload is), ``part`` (its order)."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("key", DataType.VARCHAR, max_length=256, is_primary=True)
    schema.add_field("owner", DataType.VARCHAR, max_length=128)
    schema.add_field("stream", DataType.VARCHAR, max_length=16)
    schema.add_field("part", DataType.INT64)
    schema.add_field("payload", DataType.VARCHAR, max_length=VARCHAR_MAX)
    schema.add_field("pad", DataType.FLOAT_VECTOR, dim=len(PAD))
    index = client.prepare_index_params()
    index.add_index("pad", index_type="FLAT", metric_type="IP")
    index.add_index("owner", index_type="INVERTED")
    _create(client, name, schema, index)


def create_terms(client: Any, name: str) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("term", DataType.VARCHAR, max_length=VARCHAR_MAX, is_primary=True)
    schema.add_field("df", DataType.INT64)
    schema.add_field("pad", DataType.FLOAT_VECTOR, dim=len(PAD))
    index = client.prepare_index_params()
    index.add_index("pad", index_type="FLAT", metric_type="IP")
    _create(client, name, schema, index)


def split_utf8(text: str, limit: int = PART_BYTES) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-8 bytes, never splitting a character; joining
    them gives ``text`` back. An empty text is one empty part."""
    data = text.encode("utf-8")
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a character: back off
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    return parts or [""]


def part_rows(owner: str, stream: str, text: str) -> list[dict[str, Any]]:
    """The rows that store ``text`` as ``owner``'s ``stream``."""
    return [
        {
            "key": f"{owner}/{stream}/{i}",
            "owner": owner,
            "stream": stream,
            "part": i,
            "payload": payload,
            "pad": PAD,
        }
        for i, payload in enumerate(split_utf8(text))
    ]


def joined(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The texts stored by :func:`part_rows`, by (owner, stream)."""
    parts: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in rows:
        parts.setdefault((row["owner"], row["stream"]), []).append((int(row["part"]), row["payload"]))
    return {key: "".join(payload for _, payload in sorted(found)) for key, found in parts.items()}
