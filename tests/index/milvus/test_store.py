"""Versions in Milvus: published by an alias switch, pruned after the keep-count, never half
visible; one writer at a time across replicas; a Milvus that cannot be reached is a clear error."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.document import Document
from core.errors import IndexBusy, IndexUnavailable, VersionGone, VersionNotFound
from index.backends.factory import BackendConfig
from index.builder import copy_version
from index.collection import Collection
from index.milvus import lock
from index.milvus.lock import MilvusLease, alias_target
from index.milvus.schema import PAD, VersionNames, create_parts, lock_name, writer_alias
from index.milvus.store import MilvusStore
from tests.conftest import milvus_client, unpublished
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parents[3]


def note(doc_id: str, text: str) -> Document:
    return Document(doc_id=doc_id, title=doc_id.title(), text=text, lang="en")


def collection_on(milvus: BackendConfig, data: Path, **options: object) -> Collection:
    return Collection(data, FakeEmbedder(), backend=milvus, **options)  # type: ignore[arg-type]


def collections_of(milvus: BackendConfig) -> list[str]:
    return sorted(
        n
        for n in milvus_client(milvus.milvus_uri).list_collections()
        if n.startswith(milvus.milvus_prefix + "_")
    )


def test_each_version_is_new_collections_published_by_the_alias(
    milvus: BackendConfig, tmp_path: Path
) -> None:
    collection = collection_on(milvus, tmp_path / "data", keep_versions=2)
    assert collection.store.current() is None and collection.documents() == []
    for i in range(1, 5):
        report = collection.ingest([note(f"n{i}", f"Note number {i} about a meeting in Djibouti.")])
        assert report.version == f"v{i:06d}"
        client = milvus_client(milvus.milvus_uri)
        assert alias_target(client, milvus.milvus_prefix) == VersionNames(milvus.milvus_prefix, i).chunks
    # The newest two versions are kept, the others dropped.
    assert collection.store.published() == ["v000003", "v000004"]
    kept = [*VersionNames(milvus.milvus_prefix, 3).all, *VersionNames(milvus.milvus_prefix, 4).all]
    assert collections_of(milvus) == sorted(kept)
    assert collection.document_at("n3", "v000003")[2] == "v000003"
    with pytest.raises(VersionGone):
        collection.document_at("n1", "v000001")
    with pytest.raises(VersionNotFound):
        collection.document_at("n1", "v000005")
    assert [d.doc_id for d in collection.documents()] == ["n1", "n2", "n3", "n4"]


def test_another_replica_sees_a_publish_on_its_next_question(milvus: BackendConfig, tmp_path: Path) -> None:
    a, b = collection_on(milvus, tmp_path / "a"), collection_on(milvus, tmp_path / "b")
    a.ingest([note("djibouti", "In 2017 the meeting was held in Djibouti.")])
    assert b.ask("Where was the meeting held?").hits[0].stored.chunk.doc_id == "djibouti"
    b.ingest([note("zanzibar", "A workshop on mediation was held in Zanzibar.")])
    assert a.ask("Zanzibar workshop", top_k=1).hits[0].stored.chunk.doc_id == "zanzibar"
    b.remove("djibouti")
    assert [d.doc_id for d in a.documents()] == ["zanzibar"]


def test_versions_left_unpublished_are_dropped_by_the_next_writer(
    milvus: BackendConfig, tmp_path: Path
) -> None:
    collection = collection_on(milvus, tmp_path / "data")
    collection.ingest([note("a", "First note.")])
    client = milvus_client(milvus.milvus_uri)
    orphan = VersionNames(milvus.milvus_prefix, 2)  # what a writer killed before its switch leaves
    create_parts(client, orphan.documents)
    assert unpublished(collection) == [orphan.documents]
    with pytest.raises(VersionNotFound):
        collection.document_at("a", "v000002")
    assert collection.ingest([note("b", "Second note.")]).version == "v000002"
    assert not unpublished(collection) and collection.store.published() == ["v000001", "v000002"]


_KILLED_BUILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from core.document import Document
    from index.backends.factory import BackendConfig
    from index.collection import Collection
    from tests.fakes import FakeEmbedder

    uri, prefix, data = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    backend = BackendConfig(kind="milvus", milvus_uri=uri, milvus_prefix=prefix)

    def progress(stage, done, total):
        if stage == "lexical" and done > 0:  # some chunk rows written, the alias not switched
            print("writing", flush=True)
            time.sleep(60)

    docs = [Document(doc_id=f"big-{i}", title=f"Big {i}", text=f"- Item {i} about mediation.\\n- More {i}.",
                     lang="en") for i in range(600)]
    Collection(data, FakeEmbedder(), backend=backend).ingest(docs, progress=progress)
    """
)


def test_kill_9_mid_build_leaves_the_alias_on_the_old_version(milvus: BackendConfig, tmp_path: Path) -> None:
    collection = collection_on(milvus, tmp_path / "data")
    collection.ingest([note("old", "The old note about Djibouti.")])
    build = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _KILLED_BUILD,
            milvus.milvus_uri,
            milvus.milvus_prefix,
            str(tmp_path / "other"),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert build.stdout is not None and build.stdout.readline().strip() == "writing"
    assert unpublished(collection)  # the new version's collections exist, half written
    build.kill()  # SIGKILL: no cleanup at all, the writer lease is left behind
    build.wait(timeout=30)
    assert collection.store.current() == "v000001"
    assert [d.doc_id for d in collection.documents()] == ["old"]
    assert collection.ask("Djibouti").hits
    # The next writer breaks the dead writer's lease at once (same machine, process gone),
    # drops the half-written version and publishes its own.
    started = time.monotonic()
    assert collection.ingest([note("new", "A new note.")]).version == "v000002"
    assert time.monotonic() - started < lock.STALE_S
    assert not unpublished(collection)
    assert [d.doc_id for d in collection.documents()] == ["new", "old"]


def test_a_second_writer_waits_then_gives_up(milvus: BackendConfig, tmp_path: Path) -> None:
    collection = collection_on(milvus, tmp_path / "data", lock_timeout=0.5)
    client = milvus_client(milvus.milvus_uri)
    lease = MilvusLease(client, uri=milvus.milvus_uri, prefix=milvus.milvus_prefix, timeout=5)
    with lease, pytest.raises(IndexBusy, match="writer lease"):
        collection.ingest([note("a", "Waiting note.")])
    assert collection.ingest([note("a", "Waiting note.")]).version == "v000001"
    assert alias_target(client, writer_alias(milvus.milvus_prefix)) is None


def test_a_lease_whose_heartbeat_stops_is_broken(
    milvus: BackendConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer on another machine that died: its heartbeat stays the same for STALE_S seconds."""
    client = milvus_client(milvus.milvus_uri)
    dead = lock_name(milvus.milvus_prefix)
    create_parts(client, dead)
    beat = json.dumps({"host": "another-machine", "pid": 1, "beat": 0})
    client.insert(
        dead, [{"key": "holder", "owner": "holder", "stream": "beat", "part": 0, "payload": beat, "pad": PAD}]
    )
    client.create_alias(dead, writer_alias(milvus.milvus_prefix))
    monkeypatch.setattr(lock, "STALE_S", 1.0)
    collection = collection_on(milvus, tmp_path / "data", lock_timeout=30)
    assert collection.ingest([note("a", "After a dead writer.")]).version == "v000001"
    assert not client.has_collection(dead)


def test_a_publish_by_someone_else_meanwhile_is_refused(
    milvus: BackendConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If two writers ever held the lease at once, the second publish fails instead of hiding the first."""
    a, b = collection_on(milvus, tmp_path / "a"), collection_on(milvus, tmp_path / "b")
    a.ingest([note("first", "First.")])
    original = MilvusStore._publish

    def someone_else_first(self: MilvusStore, names: VersionNames, *, expected: str | None) -> None:
        monkeypatch.setattr(MilvusStore, "_publish", original)
        copy_version(b.store, b.snapshot())  # another writer, bypassing the lease
        original(self, names, expected=expected)

    monkeypatch.setattr(MilvusStore, "_publish", someone_else_first)
    with pytest.raises(IndexBusy, match="nothing was lost"):
        a.ingest([note("second", "Second.")])
    assert a.store.current() == "v000002" and not unpublished(a)
    assert a.ingest([note("second", "Second.")]).version == "v000003"


def test_an_unreachable_milvus_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    backend = BackendConfig(kind="milvus", milvus_uri=f"http://127.0.0.1:{port}", milvus_prefix="nowhere")
    with pytest.raises(IndexUnavailable, match=f"127.0.0.1:{port}"):
        Collection(tmp_path / "data", FakeEmbedder(), backend=backend).snapshot()
