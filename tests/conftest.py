"""Shared fixtures: isolated data directories, the fake embedder, the real default model."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.document import Document
from index.collection import Collection
from index.embedders.base import Embedder
from ingest.loaders import iter_source_files, load_file
from service.app import create_app
from service.settings import Settings
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")


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
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> Path:
    """No test ever touches a real data directory."""
    data = tmp_path / "data"
    monkeypatch.setenv("MARJA_DATA_DIR", str(data))
    monkeypatch.setenv("MARJA_MODELS_DIR", str(models_dir))
    for name in ("MARJA_API_KEYS", "MARJA_READ_API_KEYS", "MARJA_CORS_ORIGINS", "MARJA_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return data


@pytest.fixture(scope="session")
def corpus_documents() -> list[Document]:
    return [load_file(p) for p in iter_source_files([CORPUS])]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def collection(tmp_path: Path, fake_embedder: FakeEmbedder) -> Collection:
    """An empty collection with the fake embedder."""
    return Collection(tmp_path / "data", fake_embedder)


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
    return Collection(data, default_embedder)
