"""The backend a setting names: where versions live and which engines serve them.

``local`` keeps each version as files in the data directory (FAISS, bm25s, SQLite: see
:mod:`index.store`); ``milvus`` keeps them as collections of one Milvus (dense vectors, BM25 over
marja's own analysed terms, sentence vectors, documents and the catalog: see
:mod:`index.milvus.store`), so any number of servers on any machines share one index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from index.store import IndexStore
from index.version_store import VersionStore

BACKENDS = ("local", "milvus")
Backend = Literal["local", "milvus"]

COLLECTION_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""A Milvus collection name prefix: Milvus allows letters, digits and '_' (not first a digit)."""
DEFAULT_PREFIX = "marja"


@dataclass(frozen=True)
class BackendConfig:
    """Which backend serves the index, and how to reach Milvus when it is that one."""

    kind: Backend = "local"
    milvus_uri: str = ""
    """``http://host:19530`` (a Milvus server or cluster) or a file path (milvus-lite, one process)."""
    milvus_token: str = field(default="", repr=False)
    """``user:password`` or an API key; empty for a server without authentication."""
    milvus_prefix: str = DEFAULT_PREFIX
    """Every collection of this index is named ``{prefix}_…``; the alias ``{prefix}`` names the
    current version's chunks."""

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise ValueError(f"unknown backend {self.kind!r}: expected one of {', '.join(BACKENDS)}")
        if self.kind == "milvus" and not self.milvus_uri:
            raise ValueError("the milvus backend needs a URI (MARJA_MILVUS_URI)")
        if not COLLECTION_PREFIX.fullmatch(self.milvus_prefix):
            raise ValueError(
                f"invalid Milvus collection prefix {self.milvus_prefix!r}: 1-64 letters, digits or '_', "
                "not starting with a digit"
            )


def create_store(config: BackendConfig, *, data_dir: Path, keep_versions: int) -> VersionStore:
    """The version store ``config`` names. A Milvus store also keeps a lock file in ``data_dir``
    (writers in one process or on one machine wait there before taking Milvus's)."""
    if config.kind == "milvus":
        from index.milvus.store import MilvusStore  # pymilvus only when it is used

        return MilvusStore(
            uri=config.milvus_uri,
            token=config.milvus_token,
            prefix=config.milvus_prefix,
            lock_dir=data_dir / "index",
            keep_versions=keep_versions,
        )
    return IndexStore(data_dir / "index", keep_versions=keep_versions)
