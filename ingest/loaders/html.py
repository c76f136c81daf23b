"""HTML: the main content of a page as Markdown-ish text, without the page's chrome.

``trafilatura`` finds the main content and drops navigation, headers, footers, scripts and
cookie banners; its Markdown output keeps headings (``# ``), list items (``- ``) and blank-line
paragraphs, which is what the chunker splits on. When it finds nothing, a small ``selectolax``
walker over ``<main>``/``<article>``/``<body>`` (chrome elements removed) is the fallback.
Title, language and canonical URL come from the page's head.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import logging
import re
from typing import Any

from core.errors import InvalidDocument
from ingest.loaders.base import LoadedText
from text.cleaning import clean_text
from text.language import UNDETERMINED, detect_language
from text.script import ARABIC_SCRIPT_LANGS

logger = logging.getLogger(__name__)

NO_CONTENT_MESSAGE = "no main content found"

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
# Browsers read these labels as windows-1252 (the WHATWG encoding standard), and so do we.
_WINDOWS_1252_ALIASES = frozenset({"latin_1", "iso8859_1", "ascii", "cp1252"})
_LANG_CODE = re.compile(r"^([a-z]{2,3})(?:[-_].*)?$")

# Markdown that trafilatura adds and that should not be part of cited text. These run over a
# whole page's text, so each is linear: an italic's content stops at the next "*", quantifiers
# are possessive where they meet, and bold and trailing spaces are removed by string code (as
# patterns, ``**(?=\S)(.+?)(?<=\S)**`` and ``[ \t]+$`` rescan a line from every position).
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_TABLE_RULE = re.compile(r"^\|?(?:[ \t]*+:?-{3,}+:?[ \t]*+\|)++[ \t]*+(?::?-*+:?[ \t]*+)?\n?", re.MULTILINE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation
_PROTECTED = re.compile("[\U000f0021-\U000f007e]")
_PROTECT_BASE = 0xF0000  # escaped characters sit in a private-use plane while emphasis is removed
_BLANK_LINES = re.compile(r"\n{3,}")

# Fallback extraction: elements that are never main content.
_CHROME_TAGS = "script, style, noscript, template, svg, iframe, nav, header, footer, aside, form, button"
_CHROME_HINT = re.compile(
    r"cookie|consent|gdpr|banner|navbar|nav-|menu|breadcrumb|sidebar|footer|header|share|social|"
    r"newsletter|subscribe|advert|promo|related|popup|modal",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "blockquote", "pre", "table", "dd", "dt", "figcaption"}
)
_MIN_USEFUL_CHARS = 20
# Pruned before trafilatura runs: its whole-page rescue for short pages would keep them.
_PRUNE_XPATH = [
    "//nav",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='search']",
    "//header[not(ancestor::article or ancestor::main)]",
    "//footer[not(ancestor::article or ancestor::main)]",
]


def _import_trafilatura() -> Any:
    try:
        import trafilatura
        import trafilatura.settings
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ImportError("reading HTML files needs trafilatura: pip install 'trafilatura>=2.0'") from e
    return trafilatura


def _parse(html: str) -> Any:
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ImportError("reading HTML files needs selectolax: pip install 'selectolax>=1.0'") from e
    return LexborHTMLParser(html)


def decode_html(data: bytes, *, source: str) -> str:
    """Decode by the byte-order mark, else the declared charset, else UTF-8; strictly."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _decode(data, codec, source=source, declared=f"{codec} byte-order mark")
    if b"\x00" in data[:8192]:
        raise InvalidDocument("this looks like a binary file, not HTML", source=source)
    codec = "utf-8"
    declared = "no declared charset"
    if m := _DECLARED_CHARSET.search(data[:4096]):
        label = (m.group(1) or m.group(2)).decode("ascii").lower()
        declared = f"declared charset {label!r}"
        try:
            codec = codecs.lookup(label).name
        except LookupError:
            logger.warning("%s: unknown charset %r, reading as UTF-8", source, label)
            codec = "utf-8"
        if codec in _WINDOWS_1252_ALIASES:
            codec = "cp1252"
        elif codec.startswith("utf-16"):  # a UTF-16 page has a BOM; an ASCII-looking one is UTF-8
            codec = "utf-8"
    return _decode(data, codec, source=source, declared=declared)


def _decode(data: bytes, codec: str, *, source: str, declared: str) -> str:
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as e:
        raise InvalidDocument(
            f"cannot decode the page as {codec} ({declared}): byte 0x{data[e.start]:02x} at offset "
            f"{e.start}; save it as UTF-8 or declare its charset in <meta charset>",
            source=source,
        ) from e
    return clean_text(text)


def _attr(tree: Any, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    if node is None:
        return None
    value = node.attributes.get(name)
    return value.strip() if value and value.strip() else None


def _node_text(tree: Any, selector: str) -> str | None:
    node = tree.css_first(selector)
    text = " ".join(node.text(separator=" ").split()) if node is not None else ""
    return text or None


def normalize_lang(value: str | None) -> str | None:
    """``"ar-EG"`` → ``"ar"``, ``"en_US"`` → ``"en"``; None for anything that is not a language tag."""
    if not value:
        return None
    m = _LANG_CODE.match(value.strip().lower())
    return m.group(1) if m else None


def _head_metadata(tree: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    title = (
        _attr(tree, 'meta[property="og:title"]', "content")
        or _node_text(tree, "title")
        or _node_text(tree, "h1")
    )
    if title:
        meta["title"] = title
    lang = normalize_lang(_attr(tree, "html", "lang")) or normalize_lang(
        _attr(tree, 'meta[http-equiv="content-language" i]', "content")
    )
    if lang:
        meta["language"] = lang
    for url in (
        _attr(tree, 'link[rel="canonical" i]', "href"),
        _attr(tree, 'meta[property="og:url"]', "content"),
    ):
        if url and re.match(r"^https?://\S+$", url):
            meta["source_url"] = url
            break
    return meta


def _strip_bold_line(line: str) -> str:
    r"""``**text**`` → ``text`` in one line: what ``re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"\1",
    line)`` gives, in O(n log n). Each opening ``**`` takes the first closing ``**`` (one after a
    non-space) that leaves at least one character between them."""
    closers = [j for j in _find_all(line, "**") if j > 0 and not line[j - 1].isspace()]
    out: list[str] = []
    done = 0  # line[:done] is written out
    at = line.find("**")
    while at != -1:
        if at + 2 < len(line) and not line[at + 2].isspace():
            k = bisect.bisect_left(closers, at + 3)
            if k < len(closers):
                out += (line[done:at], line[at + 2 : closers[k]])
                done = closers[k] + 2
                at = line.find("**", done)
                continue
        at = line.find("**", at + 1)
    out.append(line[done:])
    return "".join(out)


def _find_all(text: str, needle: str) -> list[int]:
    """Every position of ``needle`` in ``text``, overlapping ones included."""
    found = []
    at = text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _tidy_markdown(text: str) -> str:
    """Plain text with Markdown structure: no emphasis markers, escapes or table rules."""
    text = _ESCAPED.sub(lambda m: chr(_PROTECT_BASE + ord(m.group(1))), text)
    text = "\n".join(_strip_bold_line(line) for line in text.split("\n"))
    text = _ITALIC.sub(r"\1", text)
    text = _TABLE_RULE.sub("", text)
    text = _PROTECTED.sub(lambda m: chr(ord(m.group()) - _PROTECT_BASE), text)
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


@functools.cache
def _trafilatura_config() -> Any:
    config = _import_trafilatura().settings.use_config()
    # The default (250 characters) makes a short article fall back to a whole-page dump.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(_MIN_USEFUL_CHARS))
    return config


def _trafilatura_text(html: str) -> str:
    trafilatura = _import_trafilatura()
    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        deduplicate=False,
        prune_xpath=_PRUNE_XPATH,
        config=_trafilatura_config(),
    )
    return _tidy_markdown(clean_text(text or ""))


def _fallback_text(tree: Any) -> str:
    """Main content by a plain walk: chrome elements removed, headings and list items marked."""
    root = tree.css_first("main") or tree.css_first("article") or tree.body
    if root is None:
        return ""
    for node in root.css(_CHROME_TAGS):
        node.decompose()
    for node in root.css("[class], [id]"):
        hint = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if _CHROME_HINT.search(hint) and node.tag not in ("main", "article", "body", "html"):
            node.decompose()

    blocks: list[tuple[str, str]] = []  # (kind, text); items and rows of one run share a block
    inline: list[str] = []

    def flush() -> None:
        text = " ".join("".join(inline).split())
        if text:
            blocks.append(("paragraph", text))
        inline.clear()

    def walk(node: Any) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                inline.append(child.text(deep=False))
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                flush()
                if heading := _squash(child.text(separator=" ")):
                    blocks.append(("heading", "#" * int(tag[1]) + " " + heading))
            elif tag == "li":
                flush()
                if item := _squash(child.text(separator=" ")):
                    blocks.append(("item", "- " + item))
            elif tag == "tr":
                flush()
                cells = [_squash(cell.text(separator=" ")) for cell in child.css("td, th")]
                if row := " | ".join(cell for cell in cells if cell):
                    blocks.append(("row", row))
            elif tag == "br":
                inline.append(" ")
            elif tag in _BLOCK_TAGS or tag in ("ul", "ol"):
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(root)
    flush()
    # Items of one list and rows of one table are separated by a newline, other blocks by a blank line.
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if out:
            out.append("\n" if kind == previous and kind in ("item", "row") else "\n\n")
        out.append(text)
        previous = kind
    return clean_text("".join(out))


def _squash(text: str) -> str:
    return " ".join(text.split())


def _alnum(text: str) -> int:
    return sum(c.isalnum() for c in text)


def _useful(text: str) -> bool:
    return _alnum(text) >= _MIN_USEFUL_CHARS


def load_html_bytes(data: bytes, *, source: str) -> LoadedText:
    """The main content of an HTML page, with its title, language and canonical URL."""
    html = decode_html(data, source=source)
    tree = _parse(html)
    metadata = _head_metadata(tree)
    text = _trafilatura_text(html)
    if not _useful(text):
        # A near-empty result is often trafilatura's whole-page dump of the chrome; the fallback
        # removes the chrome explicitly, so its answer (even an empty one) is the better one.
        logger.info("%s: trafilatura found no main content; using the fallback extractor", source)
        text = _fallback_text(tree)
    if not _alnum(text):
        raise InvalidDocument(NO_CONTENT_MESSAGE, source=source)
    declared = metadata.get("language")
    if declared:
        detected = detect_language(text[:4000])
        if detected != UNDETERMINED and (declared in ARABIC_SCRIPT_LANGS) != (
            detected in ARABIC_SCRIPT_LANGS
        ):
            logger.info(
                "%s: <html lang=%r> but the text is %r; ignoring the declaration", source, declared, detected
            )
            del metadata["language"]
    return LoadedText(text=text + "\n", metadata=metadata)
