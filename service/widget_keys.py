"""Publishable widget keys: read-only, bound to the origins of the pages that embed the widget.

A widget key sits in a page's HTML (``<marja-chat key="...">``), so anyone can read it. It is
safe only because of its bounds: it opens the read endpoints and nothing else, only for requests
whose ``Origin`` is one of the key's origins (browsers set ``Origin`` themselves; a page on another
site cannot make a visitor's browser send a false one), and each key has its own rate limit. A
script outside a browser can forge ``Origin``: what it gets is what the widget shows anyone on the
intranet page, at the key's rate. Rotate a key by replacing it in ``MARJA_WIDGET_KEYS``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from core.errors import WidgetKeyInvalid, WidgetOriginNotAllowed

HEADER = "x-widget-key"


def _find(key: str, keys: Mapping[str, list[str]]) -> list[str] | None:
    """The origins of ``key``, comparing against every configured key in constant time."""
    presented = key.encode("utf-8", "surrogatepass")
    found: list[str] | None = None
    for candidate, origins in keys.items():
        if hmac.compare_digest(presented, candidate.encode("utf-8")):
            found = origins
    return found


def check_widget_key(key: str, origin: str | None, keys: Mapping[str, list[str]]) -> None:
    """Raise unless ``key`` is a configured widget key and ``origin`` one of its origins."""
    origins = _find(key, keys)
    if origins is None:
        raise WidgetKeyInvalid("unknown widget key (X-Widget-Key): check the page's key attribute")
    if not origin or origin.rstrip("/").lower() not in origins:
        shown = (origin or "no Origin header")[:200]
        raise WidgetOriginNotAllowed(
            f"this widget key is not allowed on {shown}: add the origin to its entry in MARJA_WIDGET_KEYS"
        )


def is_widget_key(key: str | None, keys: Mapping[str, list[str]]) -> bool:
    return bool(key) and _find(key or "", keys) is not None
