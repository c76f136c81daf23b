"""Schemathesis against the app's own OpenAPI schema: no 5xx, responses match the schema.

Schemathesis reads the schema when the module is collected, which needs only the app; the
collection it serves (the bundled corpus with the fake embedder, in a temporary directory that
pytest creates and removes) is attached by a fixture before any case runs.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from index.collection import Collection
from ingest.loaders import iter_source_files, load_file
from service.app import create_app
from service.settings import Settings
from tests.conftest import API_KEY, CORPUS
from tests.fakes import FakeEmbedder

# The API's schema and error handling, whatever the backend: the collection is the local one.
app = create_app(Settings(api_keys=[API_KEY], rate_limit="off", backend="local"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _corpus(tmp_path_factory: pytest.TempPathFactory) -> None:
    collection = Collection(tmp_path_factory.mktemp("fuzz"), FakeEmbedder())
    collection.ingest([load_file(p) for p in iter_source_files([CORPUS])])
    app.state.collection = collection


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Every other check runs (no 5xx, documented status codes, response schemas, content types,
    # Allow headers...). "Schema-valid data is accepted" cannot hold for uploads: a schema-valid
    # file of an unsupported type is rightly refused with 415. The cases carry a valid X-API-Key,
    # and a valid key in either header is enough (the schema lists them as alternatives), so
    # "invalid auth is refused" is tested without schemathesis (tests/service/test_feedback.py).
    case.call_and_validate(
        headers={"X-API-Key": API_KEY}, excluded_checks=[positive_data_acceptance, ignored_auth]
    )
