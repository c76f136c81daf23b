"""Shared fixtures: isolated data directories, the fake embedder, the real default model, and the
backend under test.

``MARJA_BACKEND`` picks the backend the suite runs against (``make test`` runs it with each):
``local`` (files in each test's data directory) or ``milvus``, for which the session starts one
milvus-lite server and every test gets its own index in it (its own collection prefix, dropped
afterwards), named by ``MARJA_MILVUS_URI`` and ``MARJA_MILVUS_COLLECTION`` for the processes it
starts too. Tests build collections with :func:`open_collection`, which follows that choice.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.document import Document
from index.backends.factory import BackendConfig
from index.collection import Collection
from index.embedders.base import Embedder
from index.store import IndexStore
from ingest.loaders import iter_source_files, load_file
from service.app import create_app
from service.settings import Settings
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BACKEND = os.environ.get("MARJA_BACKEND", "local")
"""The backend this run tests: ``local`` or ``milvus``."""
ON_MILVUS = BACKEND == "milvus"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "local_files: tests the local backend's files themselves (skipped with MARJA_BACKEND=milvus)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_MILVUS:
        skip = pytest.mark.skip(reason="local backend only (MARJA_BACKEND=milvus)")
        for item in items:
            if "local_files" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Milvus for the session: ``milvus-lite server`` on loopback (or $MARJA_MILVUS_URI when it
    names a server already)."""
    given = os.environ.get("MARJA_MILVUS_URI", "")
    if given.startswith("http"):
        yield given
        return
    from harness.milvus import MilvusLiteServer

    root = tmp_path_factory.mktemp("milvus")
    with MilvusLiteServer(root / "data", root / "server.log") as server:
        yield server.uri


def milvus_client(uri: str) -> Any:
    from index.milvus.client import client_for

    return client_for(uri)


@pytest.fixture(scope="session", autouse=True)
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the default model's built forms are written: once per session, shared by every
    data directory the tests make (servers and CLI runs too, through MARJA_MODELS_DIR)."""
    path = tmp_path_factory.mktemp("models")
    before = os.environ.get("MARJA_MODELS_DIR")
    os.environ["MARJA_MODELS_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("MARJA_MODELS_DIR", None)
    else:
        os.environ["MARJA_MODELS_DIR"] = before


@pytest.fixture(autouse=True)
def _isolated_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """No test ever touches a real data directory (nor, on Milvus, another test's index)."""
    data = tmp_path / "data"
    monkeypatch.setenv("MARJA_DATA_DIR", str(data))
    monkeypatch.setenv("MARJA_MODELS_DIR", str(models_dir))
    for name in ("MARJA_API_KEYS", "MARJA_READ_API_KEYS", "MARJA_CORS_ORIGINS", "MARJA_MODEL"):
        monkeypatch.delenv(name, raising=False)
    if not ON_MILVUS:
        monkeypatch.setenv("MARJA_BACKEND", "local")
        yield data
        return
    uri = request.getfixturevalue("milvus_uri")
    prefix = f"t{uuid.uuid4().hex[:16]}"
    monkeypatch.setenv("MARJA_BACKEND", "milvus")
    monkeypatch.setenv("MARJA_MILVUS_URI", uri)
    monkeypatch.setenv("MARJA_MILVUS_COLLECTION", prefix)
    yield data
    from harness.milvus import drop_index

    drop_index(milvus_client(uri), prefix)


def backend_under_test(index: str | None = None) -> BackendConfig:
    """The backend under test, for the current test. On Milvus every data directory of a test
    shares the test's index (as replicas do); ``index`` names another one beside it."""
    if not ON_MILVUS:
        return BackendConfig()
    prefix = os.environ["MARJA_MILVUS_COLLECTION"]
    return BackendConfig(
        kind="milvus",
        milvus_uri=os.environ["MARJA_MILVUS_URI"],
        milvus_prefix=f"{prefix}_{index}" if index else prefix,
    )


def open_collection(
    data_dir: Path, embedder: Embedder, *, index: str | None = None, **options: Any
) -> Collection:
    """A collection over ``data_dir`` on the backend under test (``index``: see
    :func:`backend_under_test`; locally each data directory is its own index anyway)."""
    return Collection(data_dir, embedder, backend=backend_under_test(index), **options)


def unpublished(collection: Collection) -> list[str]:
    """What interrupted writers left in ``collection``'s store and nobody cleaned up: temporary
    version directories, or Milvus collections of versions never published and writer leases."""
    store = collection.store
    if isinstance(store, IndexStore):
        return [p.name for p in store.versions.glob(".tmp-*")]
    from index.milvus.schema import is_lock, version_of
    from index.milvus.store import MilvusStore

    assert isinstance(store, MilvusStore)
    current = int((store.current() or "v0")[1:])
    return [
        name
        for name in store.client.list_collections()
        if ((n := version_of(store.prefix, name)) is not None and n > current) or is_lock(store.prefix, name)
    ]


def fail_index_writes(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Make writing an index version fail with ``error`` part-way (after the first files or
    collections are written), on the backend under test."""

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    if ON_MILVUS:
        from index.milvus.writer import VersionWriter

        monkeypatch.setattr(VersionWriter, "_flush_rows", fail)
    else:
        from index.backends.bm25s_lexical import LexicalIndex

        monkeypatch.setattr(LexicalIndex, "build", fail)


def on_backend_under_test(data_dir: Path, embedder: Embedder) -> Collection:
    """The local index in ``data_dir`` as a collection of the backend under test: on Milvus,
    copied there first (``marja migrate``: nothing re-embedded)."""
    collection = open_collection(data_dir, embedder)
    if ON_MILVUS:
        collection.migrate_from(IndexStore(data_dir / "index"))
    return collection


@pytest.fixture(scope="session")
def corpus_documents() -> list[Document]:
    return [load_file(p) for p in iter_source_files([CORPUS])]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def collection(tmp_path: Path, fake_embedder: FakeEmbedder) -> Collection:
    """An empty collection with the fake embedder."""
    return open_collection(tmp_path / "data", fake_embedder)


@pytest.fixture
def corpus_collection(collection: Collection, corpus_documents: list[Document]) -> Collection:
    collection.ingest(corpus_documents)
    return collection


API_KEY = "test-key-0123456789"


def make_client(
    collection: Collection, *, raise_server_exceptions: bool = True, **settings: object
) -> TestClient:
    app = create_app(Settings(data_dir=collection.data_dir, **settings), collection=collection)  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


@pytest.fixture
def client(corpus_collection: Collection) -> Iterator[TestClient]:
    with make_client(corpus_collection, api_keys=[API_KEY]) as c:
        yield c


# -- the real default model ---------------------------------------------------------------


@pytest.fixture(scope="session")
def default_embedder(models_dir: Path) -> Embedder:
    from index.embedders.factory import create_embedder

    embedder = create_embedder("default", models_dir=models_dir)
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="session")
def _default_index(
    tmp_path_factory: pytest.TempPathFactory,
    default_embedder: Embedder,
    corpus_documents: list[Document],
) -> Path:
    """The corpus indexed once per session with the default model."""
    data = tmp_path_factory.mktemp("default-index")
    Collection(data, default_embedder).ingest(corpus_documents)
    return data


@pytest.fixture
def default_collection(_default_index: Path, tmp_path: Path, default_embedder: Embedder) -> Collection:
    """A private copy of the session's real index (tests may change it)."""
    data = tmp_path / "real"
    shutil.copytree(_default_index, data)
    return on_backend_under_test(data, default_embedder)
