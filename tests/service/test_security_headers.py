"""The HTML pages carry a Content-Security-Policy, and /docs needs nothing from another origin."""

from __future__ import annotations

import base64
import hashlib
import re

from index.collection import Collection
from service.security import inline_script_hashes
from tests.conftest import make_client


def test_the_demo_page_has_a_csp_that_forbids_framing_by_other_sites(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        r = c.get("/")
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "default-src 'self'" in policy
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert r.headers["x-frame-options"] == "SAMEORIGIN"


def test_docs_load_only_from_this_server(corpus_collection: Collection) -> None:
    with make_client(corpus_collection) as c:
        r = c.get("/docs")
        assert r.status_code == 200
        html = r.text
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html), "an asset from another origin"
        assets = re.findall(r"(?:src|href)=\"(/docs/assets/[^\"]+)\"", html)
        assert len(assets) == 3
        for path in assets:
            asset = c.get(path)
            assert asset.status_code == 200 and len(asset.content) > 1000
            assert c.get(path, headers={"If-None-Match": asset.headers["etag"]}).status_code == 304
        assert c.get("/docs/assets/../../settings.py").status_code == 404
        assert c.get("/docs/assets/index.html").status_code == 404
        assert c.get("/redoc").status_code == 404  # ReDoc needs a CDN: not offered
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'self'" in policy
        # the page's one inline script is allowed by its hash, and nothing else inline
        (script,) = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert c.get("/openapi.json").json()["paths"]["/ask"]


def test_inline_script_hashes_skip_external_scripts() -> None:
    html = '<script src="/a.js"></script><script>let a = "</b>";</script><p>x</p><script>\n1\n</script>'
    assert len(inline_script_hashes(html)) == 2
