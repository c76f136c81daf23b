"""``marja watch``: keep the index in sync with folders as their files change.

watchfiles (inotify/FSEvents, already installed with uvicorn[standard]) reports changes; a burst
of changes (a copy of many files, an editor's save) is debounced into one sync.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from core.errors import MarjaError
from index.builder import IngestReport
from index.collection import Collection
from ingest.folders import scan
from ingest.loaders import LOADERS

logger = logging.getLogger(__name__)

DEBOUNCE_MS = 1600
RETRY_MS = 30_000

OnSync = Callable[[IngestReport, list[str]], None]
"""Called after each sync with its report and the files that could not be loaded."""


class _Relevant(DefaultFilter):
    """Changes to files a sync reads (or to folders, which may hold them); not to dotfiles."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = [root.resolve() for root in roots]

    def __call__(self, change: Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        p = Path(path)
        if p.suffix and p.suffix.lower() not in LOADERS:
            return False
        for root in self.roots:
            if p.is_relative_to(root):
                return not any(part.startswith(".") for part in p.relative_to(root).parts)
        return True


def sync_once(collection: Collection, folders: Sequence[Path], *, max_bytes: int, on_sync: OnSync) -> None:
    found = scan(folders, max_bytes=max_bytes)
    on_sync(collection.sync(found), found.errors)


def watch_folders(
    collection: Collection,
    folders: Sequence[Path],
    *,
    max_bytes: int,
    on_sync: OnSync,
    debounce_ms: int = DEBOUNCE_MS,
    retry_ms: int = RETRY_MS,
    stop: threading.Event | None = None,
) -> None:
    """Sync ``folders`` now, then after every burst of changes, until ``stop`` is set (or Ctrl-C).

    A sync that fails (another long ingest holds the lock, the disk is full...) is logged and
    tried again after ``retry_ms`` without changes, or at the next change.
    """
    sync_once(collection, folders, max_bytes=max_bytes, on_sync=on_sync)
    pending = False
    for changes in watch(
        *folders,
        watch_filter=_Relevant(folders),
        debounce=debounce_ms,
        stop_event=stop,
        rust_timeout=retry_ms,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        if not changes and not pending:
            continue
        logger.info("%d changes under %s; syncing", len(changes), ", ".join(map(str, folders)))
        try:
            sync_once(collection, folders, max_bytes=max_bytes, on_sync=on_sync)
            pending = False
        except MarjaError as e:
            logger.error("sync failed; trying again in %d s: %s", retry_ms // 1000, e)
            pending = True
