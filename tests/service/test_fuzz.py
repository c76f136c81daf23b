"""Schemathesis against the app's own OpenAPI schema: no 5xx, responses match the schema.

The app serves the bundled corpus with the fake embedder from a temporary directory made when
this module is imported (schemathesis needs the schema at collection time).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from index.collection import Collection
from ingest.loaders import iter_source_files, load_file
from service.app import create_app
from service.settings import Settings
from tests.conftest import API_KEY, CORPUS
from tests.fakes import FakeEmbedder


def _app():  # type: ignore[no-untyped-def]
    data = Path(tempfile.mkdtemp(prefix="marja-fuzz-"))
    collection = Collection(data, FakeEmbedder())
    collection.ingest([load_file(p) for p in iter_source_files([CORPUS])])
    return create_app(Settings(data_dir=data, api_keys=[API_KEY], rate_limit="off"), collection=collection)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Every other check runs (no 5xx, documented status codes, response schemas, content types,
    # Allow headers...). "Schema-valid data is accepted" cannot hold for uploads: a schema-valid
    # file of an unsupported type is rightly refused with 415.
    case.call_and_validate(headers={"X-API-Key": API_KEY}, excluded_checks=[positive_data_acceptance])
