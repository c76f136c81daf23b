"""The ``marja`` command: ingest, watch, serve, ask, eval, ls, rm, reindex, migrate, feedback."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from core.document import MAX_DOC_ID_LENGTH
from core.errors import MarjaError
from core.limits import (
    LANG_CODE_PATTERN,
    MAX_KIND_CHARS,
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    MAX_YEAR,
    MIN_YEAR,
)
from index.builder import IngestReport
from index.collection import Collection
from index.records import Filters
from ingest.folders import scan
from service import presenter
from service.logs import configure_logging
from service.schemas import LANG_CODE_HINT, visible_text
from service.settings import Settings

logger = logging.getLogger("marja")

GRACEFUL_SHUTDOWN_S = 30


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None) is not None:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "proxy_headers", None) is not None:
        overrides["proxy_headers"] = args.proxy_headers
    if getattr(args, "forwarded_allow_ips", None):
        overrides["forwarded_allow_ips"] = args.forwarded_allow_ips
    return Settings(**overrides)


class _Bar:
    """A tqdm progress bar per stage, on stderr, only when it is a terminal."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = tqdm(
                total=total,
                desc=stage,
                unit="text" if stage == "embed" else "step",
                file=sys.stderr,
                disable=None,
                leave=False,
            )
            self._bars[stage] = bar
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _collection(
    settings: Settings, *, bulk_ingest: bool = False, backend: Literal["local", "milvus"] | None = None
) -> Collection:
    """The collection (on ``backend`` if given, else the configured one); for an ingest, its model
    is built (once) and loaded before any file is read, so a first ingest also prepares what
    ``marja serve`` will load."""
    from service.app import build_collection

    collection = build_collection(settings, bulk_ingest=bulk_ingest, backend=backend)
    if bulk_ingest:
        collection.embedder.warm_up()
    return collection


def _ingest_and_report(
    collection: Collection,
    paths: Sequence[Path],
    *,
    max_bytes: int,
    remove_missing: bool = False,
    dry_run: bool = False,
) -> int:
    """Ingest (or sync) ``paths`` with a progress bar, print the report and each file's error;
    1 if any file failed."""
    found = scan(paths, max_bytes=max_bytes)
    if dry_run:
        print(presenter.preview_text(collection.preview(found, remove_missing=remove_missing)))
    else:
        bar = _Bar()
        try:
            report = collection.sync(found, remove_missing=remove_missing, progress=bar)
        finally:
            bar.close()
        print(presenter.report_text(report))
    for error in found.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if found.errors else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return _ingest_and_report(
        _collection(settings, bulk_ingest=not args.dry_run),
        args.paths,
        max_bytes=settings.max_upload_bytes,
        remove_missing=args.sync,
        dry_run=args.dry_run,
    )


def cmd_watch(args: argparse.Namespace) -> int:
    from service.watch import watch_folders

    settings = _settings(args)
    not_folders = [str(p) for p in args.folders if not p.is_dir()]
    if not_folders:
        print(f"marja: not a folder: {', '.join(not_folders)}", file=sys.stderr)
        return 2

    def on_sync(report: IngestReport, errors: list[str]) -> None:
        if report.changed or errors:
            print(presenter.report_text(report), flush=True)
        for error in errors:
            print(f"error: {error}", file=sys.stderr, flush=True)

    print(f"watching {', '.join(map(str, args.folders))} (Ctrl-C stops)", file=sys.stderr)
    watch_folders(
        _collection(settings, bulk_ingest=True),
        args.folders,
        max_bytes=settings.max_upload_bytes,
        on_sync=on_sync,
        debounce_ms=int(args.debounce * 1000),
    )
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    collection = _collection(_settings(args))
    report = collection.apply(removals=args.doc_ids)
    print(presenter.report_text(report))
    return 0


def _empty_index(settings: Settings) -> str:
    """What to say when the index in use holds nothing: where it was looked for, and how to fill it
    or find the one that has documents."""
    if settings.backend == "milvus":
        from index.milvus.client import shown_uri

        store = f"the index {settings.milvus_collection!r} in Milvus at {shown_uri(settings.milvus_uri)}"
        return presenter.empty_index_text(settings.data_dir, store=store)
    return presenter.empty_index_text(
        settings.data_dir, elsewhere=[d for d in _NEARBY_DATA_DIRS if _holds_an_index(d, settings.data_dir)]
    )


_NEARBY_DATA_DIRS = (Path("data"),)
"""Where ``make run`` keeps its index (the Makefile's MARJA_DATA_DIR), relative to the current folder."""


def _holds_an_index(candidate: Path, data_dir: Path) -> bool:
    from index.store import IndexStore

    if candidate.resolve() == data_dir.resolve():
        return False
    return IndexStore(candidate / "index").current() is not None


def cmd_ls(args: argparse.Namespace) -> int:
    settings = _settings(args)
    documents, version = _collection(settings).documents_with_version()
    listing = presenter.document_list(documents, version=version)
    if args.json:
        print(listing.model_dump_json(indent=1))
    elif listing.documents:
        print(presenter.documents_text(listing))
    if not listing.documents and version is None:
        print(f"marja: {_empty_index(settings)}", file=sys.stderr)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    bar = _Bar()
    try:
        report = _collection(_settings(args), bulk_ingest=True).reindex(progress=bar)
    finally:
        bar.close()
    print(presenter.report_text(report))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from index.backends.factory import create_store

    settings = _settings(args)
    target: Literal["local", "milvus"] = args.to
    source: Literal["local", "milvus"] = "milvus" if target == "local" else "local"
    if not settings.milvus_uri:
        print(
            f"marja: migrating {'to' if target == 'milvus' else 'from'} Milvus needs MARJA_MILVUS_URI",
            file=sys.stderr,
        )
        return 2
    store = create_store(
        settings.backend_config(source), data_dir=settings.data_dir, keep_versions=settings.keep_versions
    )
    bar = _Bar()
    try:
        migration = _collection(settings, backend=target).migrate_from(store, progress=bar)
    finally:
        bar.close()
    print(presenter.migration_text(migration))
    if settings.backend != target:
        print(
            f"set MARJA_BACKEND={target} on every server (and restart them one at a time) to serve it",
            file=sys.stderr,
        )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    collection = _collection(settings)
    started = time.perf_counter()
    answer = collection.ask(
        args.question,
        top_k=args.top_k,
        filters=Filters(year=args.year, lang=args.lang, doc_id=args.doc_id, kind=args.kind),
    )
    response = presenter.ask_response(answer, took_ms=(time.perf_counter() - started) * 1000)
    if args.json:
        print(response.model_dump_json(indent=1))
    if answer.version is None:  # nothing to search: say where marja looked, not "no answer"
        print(f"marja: {_empty_index(settings)}", file=sys.stderr)
        return 1
    if not args.json:
        print(presenter.answer_text(response))
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from service.feedback_export import write_question_set
    from service.feedback_store import FeedbackStore

    settings = _settings(args)
    store = FeedbackStore(settings.data_dir, max_rows=settings.feedback_max_rows)
    rows = store.all(verdict=args.verdict)
    if args.output is None:
        report = write_question_set(rows, sys.stdout)
    else:
        # Written beside the target and renamed into place: an interrupted export leaves no half file.
        partial = args.output.with_name(args.output.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            report = write_question_set(rows, out)
        partial.replace(args.output)
    print(presenter.export_text(report), file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from index.evaluation.questions import read_question_set
    from index.evaluation.run import evaluate
    from service.eval_html import eval_html
    from service.eval_presenter import eval_report, eval_text

    settings = _settings(args)
    questions = read_question_set(args.questions)
    bar = _Bar()
    try:
        run = evaluate(
            _collection(settings),
            questions,
            top_k=args.top_k,
            progress=lambda done, total: bar("questions", done, total),
        )
        other = None
        if args.compare is not None:
            if not args.compare.is_dir():
                print(f"marja: no such data directory: {args.compare}", file=sys.stderr)
                return 2
            compared = settings.model_copy(
                update={"data_dir": args.compare, "model": args.compare_model or settings.model}
            )
            other = evaluate(
                _collection(compared),
                questions,
                top_k=args.top_k,
                progress=lambda done, total: bar("compare", done, total),
            )
    finally:
        bar.close()
    minimums = {k: v for k, v in ((1, args.min_recall_at_1), (5, args.min_recall_at_5)) if v is not None}
    report = eval_report(run, question_set=str(args.questions), other=other, minimum_recall=minimums)
    if args.report is not None:
        args.report.write_text(eval_html(report), encoding="utf-8")
        print(f"report written to {args.report}", file=sys.stderr)
    print(report.model_dump_json(indent=1) if args.json else eval_text(report))
    return 0 if report.passed else 1


# -- what the options accept: the bounds of the HTTP API (core.limits), said the same way --------


def _number(value: str, kind: type[int] | type[float], low: float, high: float) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
    return number


def _fraction(value: str) -> float:
    return float(_number(value, float, 0, 1))


def _top_k(value: str) -> int:
    return int(_number(value, int, 1, MAX_TOP_K))


def _year(value: str) -> int:
    return int(_number(value, int, MIN_YEAR, MAX_YEAR))


def _question(value: str) -> str:
    if len(value) > MAX_QUESTION_CHARS:
        raise argparse.ArgumentTypeError(
            f"the question is {len(value):,} characters, over the limit of {MAX_QUESTION_CHARS:,}"
        )
    try:
        return visible_text(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"the question {e}") from None


def _lang_code(value: str) -> str:
    if not re.fullmatch(LANG_CODE_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} {LANG_CODE_HINT}")
    return value


def _short(limit: int) -> Callable[[str], str]:
    def text(value: str) -> str:
        if len(value) > limit:
            raise argparse.ArgumentTypeError(f"over the limit of {limit} characters")
        return value

    return text


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How ``marja serve`` runs uvicorn.

    * h11, whose parser refuses a request line plus headers over ``max_header_bytes`` before
      buffering more (httptools buffers headers of any size);
    * ``X-Forwarded-For``/``-Proto`` trusted only with ``proxy_headers``, and then only from
      ``forwarded_allow_ips`` (uvicorn's own default trusts any proxy on 127.0.0.1);
    * no access log and no logging setup of its own: :mod:`service.request_log` writes one
      line per request in the configured format.
    """
    return {
        "http": "h11",
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": ",".join(settings.forwarded_allow_ips) if settings.proxy_headers else "",
        "access_log": False,
        "log_config": None,
        "log_level": settings.log_level.lower(),
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    settings = _settings(args)
    collection = _collection(settings)
    collection.embedder.warm_up()  # a model that cannot load stops here, with its message
    if not args.no_ingest and collection.snapshot().is_empty and settings.corpus_dir:
        print(f"the index is empty: indexing {settings.corpus_dir} first", file=sys.stderr)
        _ingest_and_report(collection, [settings.corpus_dir], max_bytes=settings.max_upload_bytes)
    app = create_app(settings, collection=collection)
    # uvicorn finishes the requests in flight on SIGTERM/SIGINT, then raises the signal again so
    # the process would die by it (exit -15). A no-op handler turns that into a normal return.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(app, host=args.host, port=args.port, **uvicorn_options(settings))
    # An ingest still running past the grace period has already been answered with an error;
    # exit now rather than let its thread publish a version the client was told had failed.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


def build_parser() -> argparse.ArgumentParser:
    # Given before or after the command (`marja --data-dir d ask ...`, `marja ask ... --data-dir d`):
    # SUPPRESS keeps a subcommand's parser from resetting what was given before it to its default
    # (so they are read with getattr).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the index lives (default: $MARJA_DATA_DIR, else $XDG_DATA_HOME/marja, "
        "else ~/.local/share/marja; `make run` uses ./data)",
    )
    common.add_argument(
        "--model",
        default=argparse.SUPPRESS,
        help="embedding model (default: $MARJA_MODEL or the bundled default)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

    parser = argparse.ArgumentParser(
        prog="marja",
        description="Cited passages for Arabic and English questions.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add or update documents (files or folders)")
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files (.md .txt .html .htm .pdf .docx) or folders, read recursively",
    )
    p.add_argument(
        "--sync",
        action="store_true",
        help="also remove the documents whose file under these folders is gone (deleted or renamed)",
    )
    p.add_argument("--dry-run", action="store_true", help="list what would change; write nothing")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("watch", parents=[common], help="keep the index in sync with folders as they change")
    p.add_argument("folders", nargs="+", type=Path, metavar="DIR", help="folders to keep in sync")
    p.add_argument(
        "--debounce", type=float, default=1.6, help="seconds of quiet before a burst of changes is synced"
    )
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("serve", parents=[common], help="run the HTTP service")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument(
        "--no-ingest",
        action="store_true",
        help="do not index $MARJA_CORPUS_DIR when the index is empty (serve it empty)",
    )
    p.add_argument(
        "--proxy-headers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="behind a reverse proxy: take the client address from X-Forwarded-For, sent by one of "
        "--forwarded-allow-ips (default: $MARJA_PROXY_HEADERS, off: no one is trusted)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated addresses or networks of the trusted proxies "
        "(default: $MARJA_FORWARDED_ALLOW_IPS or 127.0.0.1)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ask", parents=[common], help="ask a question from the command line")
    p.add_argument(
        "question", type=_question, help=f"in Arabic or English, at most {MAX_QUESTION_CHARS:,} characters"
    )
    p.add_argument(
        "--top-k", type=_top_k, default=5, metavar="N", help=f"passages to show, 1-{MAX_TOP_K} (default 5)"
    )
    p.add_argument("--json", action="store_true", help="print the same JSON as POST /ask")
    p.add_argument(
        "--year", type=_year, metavar="YEAR", help="only passages that mention this year, e.g. 2019"
    )
    p.add_argument(
        "--lang", type=_lang_code, metavar="CODE", help="only passages in this language: ar, en..."
    )
    p.add_argument(
        "--doc-id", type=_short(MAX_DOC_ID_LENGTH), metavar="DOC_ID", help="only passages of this document"
    )
    p.add_argument(
        "--kind",
        type=_short(MAX_KIND_CHARS),
        metavar="KIND",
        help="only passages of documents of this kind: source, summary...",
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", parents=[common], help="measure retrieval on a question set")
    p.add_argument("questions", type=Path, metavar="QUESTIONS", help="a .jsonl, .csv or .json question set")
    p.add_argument("--top-k", type=_top_k, default=10, help="passages asked for per question (default 10)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--report", type=Path, metavar="FILE.html", help="also write a self-contained HTML report")
    p.add_argument("--min-recall-at-1", type=_fraction, metavar="X", help="exit 1 if recall@1 is below X")
    p.add_argument("--min-recall-at-5", type=_fraction, metavar="X", help="exit 1 if recall@5 is below X")
    p.add_argument(
        "--compare",
        type=Path,
        metavar="OTHER_DATA_DIR",
        help="also run the set against another data directory and show what each question gained or lost",
    )
    p.add_argument(
        "--compare-model", metavar="MODEL", help="the model of OTHER_DATA_DIR's index (default: --model)"
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("ls", parents=[common], help="list documents")
    p.add_argument("--json", action="store_true", help="print the same JSON as GET /documents")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("rm", parents=[common], help="remove documents")
    p.add_argument(
        "doc_ids", nargs="+", metavar="DOC_ID", help="ids of the documents to remove (see marja ls)"
    )
    p.set_defaults(func=cmd_rm)

    p = sub.add_parser("reindex", parents=[common], help="re-embed every document (after a model change)")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser(
        "migrate",
        parents=[common],
        help="copy the index to another backend (vectors and all, nothing re-embedded)",
        description="Copy the current index version from the data directory's local files into Milvus "
        "(--to milvus: MARJA_MILVUS_URI, MARJA_MILVUS_COLLECTION) or back (--to local), as the target's "
        "next version. The source is not changed and keeps serving.",
    )
    p.add_argument(
        "--to", required=True, choices=["milvus", "local"], help="the backend to copy the index into"
    )
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("feedback", parents=[common], help="readers' thumbs up/down from the widget")
    feedback_sub = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    p = feedback_sub.add_parser(
        "export",
        parents=[common],
        help="write the feedback as a question set for `marja eval` (JSONL)",
        description="Thumbs up: the approved passage is the expected hit. Thumbs down: "
        "answerable: false (add doc_id or text once you know where the answer is).",
    )
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    p.add_argument("--verdict", choices=["up", "down"], help="only this verdict")
    p.set_defaults(func=cmd_feedback_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        settings = _settings(args)
    except ValidationError as e:
        for err in e.errors():
            name = "MARJA_" + "_".join(str(p) for p in err["loc"]).upper()
            print(f"marja: invalid setting {name}: {err['msg']}", file=sys.stderr)
        return 2
    quiet = args.command in ("ask", "ls", "feedback", "eval")  # their output is the result; logs on trouble
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    if getattr(args, "verbose", False):
        level = logging.DEBUG
    elif quiet:
        level = max(level, logging.WARNING)
    configure_logging(
        level=level,
        json_lines=settings.log_format == "json",
    )
    for noisy in ("faiss.loader", "bm25s", "httpx", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except MarjaError as e:
        print(f"marja: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
