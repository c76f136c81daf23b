"""Who sent a request: the one reading of API keys, for access checks and for the rate limit.

A key is read from ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` by one rule (surrounding
whitespace removed in both) and compared in constant time. Only a key that matches a configured
one identifies a client; anything else is as if no key had been sent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import Headers
from starlette.types import Scope

from service.settings import Settings
from service.widget_keys import HEADER as WIDGET_KEY_HEADER
from service.widget_keys import is_widget_key

Access = Literal["write", "read"]


@dataclass(frozen=True)
class Credential:
    """A validated key: what it may do, and a short digest that names it (never the key)."""

    access: Access
    key_id: str


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request presents, or None. ``Bearer`` wins over ``X-API-Key``."""
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key", "").strip() or None


def matches(key: str | None, keys: Iterable[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit on a match)."""
    if key is None:
        return False
    presented = key.encode("utf-8", "surrogatepass")
    found = False
    for candidate in keys:
        found |= hmac.compare_digest(presented, candidate.encode("utf-8"))
    return found


def key_id(key: str) -> str:
    """A short, stable name for a key in buckets, metrics and logs."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def credential(headers: Mapping[str, str], settings: Settings) -> Credential | None:
    """The request's validated key, or None when it presents none or one that is not configured."""
    key = presented_key(headers)
    if key is None:
        return None
    if matches(key, settings.api_keys):
        return Credential("write", key_id(key))
    if matches(key, settings.read_api_keys):
        return Credential("read", key_id(key))
    return None


def client_address(scope: Scope) -> str:
    """The peer address (the real client's when ``--proxy-headers`` trusts the proxy in front)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


@dataclass(frozen=True)
class RateBucket:
    """Whose requests count together, and under which of the configured limits."""

    name: str
    limit: str = "default"
    """``default`` is ``MARJA_RATE_LIMIT``; other kinds of credentials may name their own."""


def rate_bucket(scope: Scope, settings: Settings) -> RateBucket:
    """The rate-limit bucket of a request: its validated key, else its client address.

    A publishable widget key is one client for every page that uses it, under the ``widget``
    limit (``MARJA_WIDGET_RATE_LIMIT``). An unknown key is ignored here: bucketing by whatever
    key a client sends would give every request with a fresh random key a fresh bucket. New kinds
    of credentials plug in here: validate them, then return a bucket (and a limit) for each.
    """
    headers = Headers(scope=scope)
    widget_key = headers.get(WIDGET_KEY_HEADER, "").strip()
    if widget_key and is_widget_key(widget_key, settings.widget_keys):
        return RateBucket(f"widget:{key_id(widget_key)}", limit="widget")
    found = credential(headers, settings)
    if found is not None:
        return RateBucket(f"key:{found.key_id}")
    return RateBucket(f"ip:{client_address(scope)}")
