"""Concurrent readers and writers, crashes in the middle of an ingest (real FAISS, real files)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from core.document import Document
from index.collection import Collection
from tests.conftest import backend_under_test, open_collection, unpublished
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[2]


def doc(i: int, prefix: str = "doc") -> Document:
    return Document(
        doc_id=f"{prefix}-{i}",
        title=f"Note {i}",
        text=f"- Meeting number {i} on mediation was held in city {i}.\n- Follow-up workshop {i}.",
        lang="en",
    )


def test_queries_during_ingests_never_fail_or_come_back_empty(corpus_collection: Collection) -> None:
    errors: list[BaseException] = []
    empty = 0
    answered = 0
    stop = threading.Event()

    def ask_forever() -> None:
        nonlocal empty, answered
        reader = open_collection(corpus_collection.data_dir, FakeEmbedder())  # like another process
        while not stop.is_set():
            for c in (corpus_collection, reader):
                try:
                    hits = c.ask("Which organizations attended the meeting in Djibouti?", top_k=3).hits
                except BaseException as e:
                    errors.append(e)
                    return
                answered += 1
                empty += not hits

    threads = [threading.Thread(target=ask_forever) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(12):  # each publishes a version; old ones are pruned under the readers
            corpus_collection.ingest([doc(i)])
            if i % 3 == 2:
                corpus_collection.remove(f"doc-{i - 1}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert empty == 0
    assert answered > 20


_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from index.collection import Collection
    from core.document import Document
    from service.settings import Settings
    from tests.fakes import FakeEmbedder

    class SlowEmbedder(FakeEmbedder):
        def embed_passages(self, texts, *, progress=None):
            time.sleep(float(sys.argv[3]))
            return super().embed_passages(texts, progress=progress)

    data, prefix, _, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    events = []
    def progress(stage, done, total):
        events.append((stage, time.time()))
    docs = [Document(doc_id=f"{prefix}-{i}", title=f"{prefix} {i}",
                     text=f"- {prefix} item {i} about mediation.\\n- more {i}.", lang="en")
            for i in range(count)]
    collection = Collection(data, SlowEmbedder(), backend=Settings().backend_config())
    report = collection.ingest(docs, progress=progress)
    print(json.dumps({"version": report.version, "start": events[0][1], "end": events[-1][1]}))
    """
)


def _writer(
    data: Path, prefix: str, sleep: float, count: int, *, index: str | None = None
) -> subprocess.Popen[str]:
    """An ingest in another process, on the backend under test (``index``: another index)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if index is not None:
        env["MARJA_MILVUS_COLLECTION"] = backend_under_test(index).milvus_prefix
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(data), prefix, str(sleep), str(count)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_ingests_at_once_are_serialised(corpus_collection: Collection) -> None:
    a = _writer(corpus_collection.data_dir, "alpha", 1.0, 3)
    b = _writer(corpus_collection.data_dir, "beta", 1.0, 3)
    outs = []
    for p in (a, b):
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out))
    first, second = sorted(outs, key=lambda o: o["start"])
    assert first["end"] <= second["start"], "the two builds overlapped"
    assert {first["version"], second["version"]} == {"v000002", "v000003"}
    ids = {d.doc_id for d in corpus_collection.documents()}
    assert {f"alpha-{i}" for i in range(3)} | {f"beta-{i}" for i in range(3)} <= ids


@pytest.mark.parametrize("fraction", [0.1, 0.35, 0.6, 0.8, 0.9, 0.97])
def test_kill_9_in_the_middle_of_an_ingest_leaves_old_or_new(
    corpus_collection: Collection, fraction: float
) -> None:
    data = corpus_collection.data_dir
    old_ids = {d.doc_id for d in corpus_collection.documents()}
    # Time a full run first, then kill a second run part-way through.
    probe = _writer(data.parent / "probe", "probe", 0.0, 400, index="probe")
    t0 = time.perf_counter()
    probe.communicate(timeout=300)
    duration = time.perf_counter() - t0

    victim = _writer(data, "kill", 0.0, 400)
    time.sleep(duration * fraction)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    after = open_collection(data, FakeEmbedder())
    ids = {d.doc_id for d in after.documents()}
    new_ids = old_ids | {f"kill-{i}" for i in range(400)}
    assert ids in (old_ids, new_ids), "a mix of old and new"
    snapshot = after.snapshot()
    assert len(snapshot.dense) == len(snapshot.lexical) == snapshot.manifest.chunks
    assert after.ask("Djibouti").hits
    # The next writer cleans up and works.
    after.ingest([doc(1, "later")])
    assert not unpublished(after)
