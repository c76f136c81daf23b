"""Security headers of the HTML pages marja serves (the demo page and ``/docs``).

The Content-Security-Policy lets a page run only scripts from this origin and the inline scripts
it was served with (allowed by their SHA-256), load nothing from other origins, and be framed
only by pages of this origin (``frame-ancestors``; ``X-Frame-Options`` for older browsers).
"""

from __future__ import annotations

import base64
import functools
import hashlib
from html.parser import HTMLParser


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside = False
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._inside, self._parts = True, []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._inside:
            self.scripts.append("".join(self._parts))
            self._inside = False


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources (``'sha256-…'``) for each inline ``<script>`` of ``html``."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"
        for script in parser.scripts
    ]


@functools.lru_cache(maxsize=16)
def html_headers(html: str) -> dict[str, str]:
    """The security headers for one of our HTML pages (computed once per page content)."""
    scripts = " ".join(["'self'", *inline_script_hashes(html)])
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            # Swagger UI and the widget set styles from script; nothing here renders foreign HTML.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
