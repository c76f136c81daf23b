"""A live marja server, host pages on other origins, and headless Chromium for the widget tests.

The server is the real thing (``marja serve`` with the bundled model) over the repository's
``corpus/`` plus one hostile test document. Host pages are served from two other loopback ports:
one origin allowed by the service's CORS settings, one not.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)

from harness.live import LiveServer
from harness.samples import make_pdf

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path(os.environ.get("MARJA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A document built to be dangerous if the widget ever used innerHTML. The emoji before the cited
# sentences also checks the code point (Python) → UTF-16 (JS) offset mapping.
XSS_DOC_ID = "security-drill"
XSS_TITLE = "Security drill <img src=x onerror=alert(1)> <script>alert(2)</script>"
XSS_SENTENCE = (
    "The quarantine notice of the widget security drill reads <img src=x onerror=alert(1)> "
    "followed by <script>alert(2)</script> and nothing else."
)
XSS_DOCUMENT = f"""---
doc_id: {XSS_DOC_ID}
title: "{XSS_TITLE}"
language: en
kind: source
source_url: "javascript:alert(3)"
---

🔐🛡️ Widget security drill 🔐

{XSS_SENTENCE} The drill checks that markup in documents is shown as plain characters.
"""

# A summary with a source link and a PDF with pages, for citations copied with their source.
LINKED_DOC_ID = "fisheries-2031"
LINKED_URL = "https://intranet.example.org/minutes/fisheries-2031"
LINKED_DOCUMENT = f"""---
doc_id: {LINKED_DOC_ID}
title: "2031: Workshop on coastal fisheries disputes (summary)"
language: en
kind: summary
source_url: "{LINKED_URL}"
---

In 2031, the workshop on coastal fisheries disputes was held in Mombasa, hosted by the regional
fisheries commission.
"""
PAGED_TITLE = "Annual lighthouse keepers report"
PAGED_PAGES = [
    [("L", "Introduction. This report covers the lighthouse keepers of the northern coast.")],
    [("L", "In 2032, the lighthouse keepers association met in Tromso to discuss foghorn maintenance.")],
]

expect.set_options(timeout=20_000)

# axe-core rules: WCAG 2.2 A and AA, and Deque's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page (open shadow roots included), one line each."""
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options).response
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in results["violations"]]


# -- host pages on other origins ------------------------------------------------------------------


class HostSite:
    """A tiny web server for host pages: ``site.pages["/x.html"] = (html, extra_headers)``."""

    def __init__(self) -> None:
        pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.pages = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?")[0])
                if page is None:
                    self.send_error(404)
                    return
                body = page[0].encode("utf-8")
                headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
                headers.update(page[1])
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def add(self, path: str, html: str, **headers: str) -> str:
        self.pages[path] = (html, headers)
        return self.origin + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentServer:
    """Accepts connections and never answers: the widget's timeout must fire."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def close(self) -> None:
        self._stop = True
        for conn in self._held:
            conn.close()
        self._sock.close()


def host_page(widget_js: str, body: str, *, head: str = "", title: str = "host page") -> str:
    """An intranet-style page embedding the widget the documented way."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}
<script src="{widget_js}" defer></script></head>
<body>
<h1 id="host-title">Intranet page</h1>
<p><button id="host-button" type="button">clicked 0</button></p>
{body}
<script src="/host.js"></script>
</body></html>"""


@pytest.fixture(scope="session")
def allowed_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def blocked_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="session")
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


# -- the live service -----------------------------------------------------------------------------


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``marja`` process over ``data_dir``: no MARJA_* from outside but the
    session's shared models directory, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARJA_") or k == "MARJA_MODELS_DIR"}
    env.update(MARJA_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", **extra)
    return env


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/ plus the hostile document, indexed with the bundled model by ``marja ingest``."""
    work = tmp_path_factory.mktemp("widget-index")
    extra = work / "extra"
    extra.mkdir()
    (extra / "security-drill.md").write_text(XSS_DOCUMENT, encoding="utf-8")
    (extra / "fisheries-2031.md").write_text(LINKED_DOCUMENT, encoding="utf-8")
    (extra / "lighthouse-report.pdf").write_bytes(make_pdf(PAGED_PAGES, title=PAGED_TITLE, arabic_font=False))
    data = work / "data"
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(CORPUS), str(extra)],
        env=service_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"marja ingest failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    return data


@contextmanager
def serving(index_dir: Path, log: Path, **env: str) -> Iterator[str]:
    """``marja serve --no-ingest`` over ``index_dir`` on a free port, with ``env``; yields its URL."""
    server = LiveServer(index_dir, log, env=service_env(index_dir, **env))
    try:
        server.start()
    except (RuntimeError, TimeoutError) as e:
        pytest.fail(str(e))
    try:
        yield server.url
    finally:
        server.stop(grace=15)


@pytest.fixture(scope="session")
def service(
    index_dir: Path, allowed_site: HostSite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The service of most widget tests; CORS allows only ``allowed_site``."""
    log = tmp_path_factory.mktemp("widget-serve") / "serve.log"
    with serving(index_dir, log, MARJA_CORS_ORIGINS=allowed_site.origin) as url:
        yield url


# -- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed() -> None:
    """Fail (never skip) every browser test at once when Chromium is not there."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the widget tests need Chromium. Run `apt-get install -y chromium` "
            "(or point MARJA_CHROMIUM at a Chromium binary).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class Tab:
    """A page plus what it did that it should not have: dialogs and uncaught errors."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def widget(self, selector: str = "marja-chat") -> Locator:
        return self.page.locator(selector).first

    def ask(self, question: str, widget: Locator | None = None) -> Locator:
        """Type a question, press Enter, wait for its answer (or error); return that turn."""
        widget = widget or self.widget()
        turns = widget.locator(".turn")
        before = turns.count()
        box = widget.locator("textarea")
        box.fill(question)
        box.press("Enter")
        expect(turns).to_have_count(before + 1)
        turn = turns.nth(before)
        expect(turn.locator(".answer > :is(.passages, .error, .none)")).to_have_count(1)
        expect(widget.locator(".log")).to_have_attribute("aria-busy", "false")
        return turn

    def ask_bodies(self) -> list[dict]:
        """From now on, record the JSON body of every POST /ask the page sends."""
        bodies: list[dict] = []

        def on_request(request: Request) -> None:
            if request.method == "POST" and request.url.endswith("/ask"):
                bodies.append(json.loads(request.post_data or "{}"))

        self.page.on("request", on_request)
        return bodies

    def ask_answers(self) -> list[dict]:
        """From now on, record the JSON body of every answer to POST /ask the page receives."""
        bodies: list[dict] = []

        def on_response(response: Response) -> None:
            if response.request.method == "POST" and response.url.endswith("/ask") and response.ok:
                bodies.append(response.json())

        self.page.on("response", on_response)
        return bodies

    def shadow_eval(self, script: str, arg: object = None, selector: str = "marja-chat") -> object:
        """Evaluate ``script`` as ``(root, arg) => ...`` with the widget's shadow root."""
        return self.page.evaluate(
            f"([sel, arg]) => ({script})(document.querySelector(sel).shadowRoot, arg)", [selector, arg]
        )

    def screenshot(self, name: str, selector: str = "marja-chat") -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.locator(selector).first.screenshot(path=str(path))
        return path


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """``open_tab(url, locale="en-US")``: a fresh browser context (own sessionStorage) per call."""
    contexts = []
    tabs: list[Tab] = []

    def _open(url: str, *, locale: str = "en-US") -> Tab:
        context = browser.new_context(locale=locale, viewport={"width": 1000, "height": 860})
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
        tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.page.goto(url)
        expect(tab.page.locator("marja-chat textarea").first).to_be_visible()
        tabs.append(tab)
        return tab

    yield _open
    for context in contexts:
        context.close()
    for tab in tabs:
        assert tab.dialogs == [], f"dialogs fired: {tab.dialogs}"
        assert tab.errors == [], f"uncaught page errors: {tab.errors}"


@pytest.fixture
def host_js(allowed_site: HostSite, blocked_site: HostSite) -> None:
    """The host pages' own script: a counter button, to prove the page keeps working."""
    script = (
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) => cspViolations.push(e.violatedDirective));"
        "let n = 0; const b = document.getElementById('host-button');"
        "b.addEventListener('click', () => { n += 1; b.textContent = 'clicked ' + n; });"
    )
    for site in (allowed_site, blocked_site):
        site.pages["/host.js"] = (script, {"Content-Type": "text/javascript"})
