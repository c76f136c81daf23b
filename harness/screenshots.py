"""The README's pictures of the widget, taken in headless Chromium from a live `marja serve`.

    python -m harness.screenshots [--out docs/images]     (or: make screenshots)

Indexes ``corpus/`` with the bundled model into a temporary directory, serves it, and shoots the
demo page: desktop and phone, light and dark, English and Arabic, the source view, a dark
intranet theme and the no-answer state. PNGs are reduced to a 64-colour palette to stay small.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from harness.live import REPO, LiveServer

logger = logging.getLogger(__name__)

CHROMIUM = os.environ.get("MARJA_CHROMIUM", "/usr/bin/chromium")
Q_EN = "Which organizations attended the meeting in 2017?"
Q_AR = "ما المنظمات التي شاركت في اجتماع ٢٠١٧؟"
OFF_TOPIC = "What is the capital of Japan?"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}

DARK_INTRANET_CSS = """
body { margin: 0; background: #0f1720; color: #d8dee9; font: 16px/1.5 system-ui, sans-serif; }
main { max-width: 760px; margin: 0 auto; padding: 20px; }
marja-chat {
  --marja-bg: #111a24; --marja-text: #d8dee9; --marja-accent: #3b82c4;
  --marja-radius: 4px; --marja-height: 620px;
}
marja-chat::part(header) { background: #0b121a; }
"""


@dataclass
class Shot:
    name: str
    context: dict[str, Any]
    question: str = Q_EN
    path: str = "/"
    element: bool = True  # the widget alone, else the window
    then: Callable[[Page], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _ask(page: Page, question: str) -> None:
    box = page.locator("marja-chat textarea")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("marja-chat .answer > :is(.passages, .error, .none)")).to_have_count(
        1, timeout=30_000
    )
    page.wait_for_timeout(300)


def _open_source(page: Page) -> None:
    page.locator("marja-chat button.show-source").first.click()
    expect(page.locator("marja-chat .source mark.cite").first).to_be_visible()


SHOTS = [
    Shot("widget-en-desktop-light", DESKTOP, element=False),
    Shot(
        "widget-ar-desktop-dark", {**DESKTOP, "color_scheme": "dark", "locale": "ar-EG"}, Q_AR, element=False
    ),
    Shot("widget-en-phone-dark", {**PHONE, "color_scheme": "dark"}, element=False),
    Shot("widget-ar-phone-light", {**PHONE, "locale": "ar-EG"}, Q_AR, element=False),
    Shot("widget-source-ar", {**DESKTOP, "locale": "ar-EG"}, Q_AR, then=_open_source),
    Shot("widget-no-answer-en", DESKTOP, OFF_TOPIC),
    Shot("widget-dark-intranet", DESKTOP, path="/intranet"),
]


def _small_png(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


def _index(data: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARJA_")}
    env.update(MARJA_DATA_DIR=str(data), HF_HUB_OFFLINE="1")
    subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(REPO / "corpus")], env=env, cwd=REPO, check=True
    )


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="marja-shots-") as tmp:
        data = Path(tmp) / "data"
        _index(data)
        with LiveServer(data, Path(tmp) / "serve.log") as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            intranet = (
                f'<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{DARK_INTRANET_CSS}'
                f'</style><script src="{server.url}/widget.js" defer></script></head><body><main>'
                f'<marja-chat endpoint="{server.url}" theme="dark"></marja-chat></main></body></html>'
            )
            for shot in SHOTS:
                context = browser.new_context(**shot.context)
                page = context.new_page()
                if shot.path == "/intranet":
                    page.route(
                        f"{server.url}/intranet", lambda r: r.fulfill(body=intranet, content_type="text/html")
                    )
                page.goto(server.url + shot.path)
                expect(page.locator("marja-chat textarea")).to_be_visible()
                _ask(page, shot.question)
                if shot.then:
                    shot.then(page)
                page.mouse.move(0, 0)
                png = page.locator("marja-chat").screenshot() if shot.element else page.screenshot()
                path = out / f"{shot.name}.png"
                _small_png(png, path)
                written.append(path)
                logger.info("%s: %d bytes", path, path.stat().st_size)
                context.close()
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in take(args.out):
        print(
            f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}\t{path.stat().st_size:,} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
