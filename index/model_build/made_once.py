"""Build a model directory once, atomically, under the data directory's ``models/`` folder.

A directory is finished when it holds a marker file (:data:`MARKER_NAME`) whose contents match
what the caller asks for (format version, source hash, precision...). It is built into a
temporary sibling (``.NAME.PID-RANDOM.partial``), the marker written last, and only then renamed
into place, so a reader never sees a half-written directory. Builders of the same directory take
a file lock, so two processes starting at once build it once; under that lock, partial and stale
siblings left by builders that died (``kill -9``, a power cut) are removed before building. An
interrupted build (Ctrl-C, an error) removes its partial directory and says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from filelock import FileLock

logger = logging.getLogger(__name__)

MARKER_NAME = "marja-conversion.json"
"""Written last: its presence, with matching contents, marks a finished directory."""

LOCK_TIMEOUT_S = 1800.0
"""How long a second builder waits for the first one before giving up."""


def make_once(
    out_dir: Path,
    identity: Mapping[str, object],
    build: Callable[[Path], None],
    *,
    what: str,
    details: Mapping[str, object] | None = None,
) -> Path:
    """Return ``out_dir``, calling ``build(tmp)`` first unless it already holds ``identity``.

    ``build`` writes the directory's files into the empty directory it is given. ``details``
    are recorded in the marker beside ``identity`` but do not have to match.
    """
    out_dir = Path(out_dir)
    if is_finished(out_dir, identity):
        logger.debug("%s already holds %s", out_dir, what)
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out_dir.with_name(f".{out_dir.name}.lock")), timeout=LOCK_TIMEOUT_S):
        if is_finished(out_dir, identity):  # another process built it while we waited
            return out_dir
        removed = remove_leftovers(out_dir)
        if removed:
            logger.info("removed %d unfinished build(s) of %s left by an earlier run", removed, what)
        started = time.perf_counter()
        tmp = out_dir.with_name(f".{out_dir.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        tmp.mkdir()
        logger.info("building %s in %s (once; later starts reuse it)", what, out_dir)
        try:
            build(tmp)
            write_json(tmp / MARKER_NAME, {**identity, **(details or {})})
            _move_into_place(tmp, out_dir)
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)
            reason = "interrupted" if isinstance(e, KeyboardInterrupt | SystemExit) else f"failed ({e})"
            logger.error(
                "building %s %s: the unfinished directory was removed and nothing was kept; "
                "the next run builds it again",
                what,
                reason,
            )
            raise
    logger.info("built %s in %.1f s", what, time.perf_counter() - started)
    return out_dir


def is_finished(out_dir: Path, identity: Mapping[str, object]) -> bool:
    try:
        found = json.loads((Path(out_dir) / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(found, dict) and all(found.get(k) == v for k, v in identity.items())


def remove_leftovers(out_dir: Path) -> int:
    """Delete the partial and stale siblings of ``out_dir``; call it holding the build lock."""
    removed = 0
    for pattern in (f".{out_dir.name}.*.partial", f".{out_dir.name}.*.stale"):
        for leftover in out_dir.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
    return removed


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename ``tmp`` to ``out_dir``; a stale ``out_dir`` is moved aside and deleted first."""
    if out_dir.exists():
        stale = out_dir.with_name(f".{out_dir.name}.{os.getpid()}-{secrets.token_hex(4)}.stale")
        out_dir.rename(stale)
        shutil.rmtree(stale, ignore_errors=True)
    tmp.rename(out_dir)


def write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
