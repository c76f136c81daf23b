"""Filter values from users become Milvus literals that match exactly themselves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.backends.base import Scope
from index.milvus.expressions import NOTHING, scope_filter, string_literal
from index.milvus.schema import PAD, create_parts
from index.records import Filters
from tests.conftest import milvus_client

HOSTILE = [
    'a"b',
    "a'b",
    "a\\b",
    'a\\"b',
    '" or id >= 0 or kind == "',
    '\\" || 1 == 1 || \\"',
    "x\ny",
    "tab\tand\rcarriage",
    "null\x00byte",
    "جيبوتي",
    "",
]


@pytest.fixture(scope="module")
def table(milvus_uri: str) -> Iterator[tuple[Any, str]]:
    client = milvus_client(milvus_uri)
    name = f"x{uuid.uuid4().hex[:16]}_values"
    create_parts(client, name)
    yield client, name
    client.drop_collection(name)


def _matches(table: tuple[Any, str], value: str) -> tuple[str, list[dict[str, Any]]]:
    """Store ``value`` in a new row; the rows its literal then matches."""
    client, name = table
    key = uuid.uuid4().hex
    client.insert(name, [{"key": key, "owner": "v", "stream": "s", "part": 0, "payload": value, "pad": PAD}])
    rows = client.query(
        name, filter=f"payload == {string_literal(value)}", output_fields=["key", "payload"], limit=1000
    )
    return key, rows


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_matches_only_itself(table: tuple[Any, str], value: str) -> None:
    key, rows = _matches(table, value)
    assert key in {r["key"] for r in rows}
    assert {r["payload"] for r in rows} == {value}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_matches_only_itself(table: tuple[Any, str], value: str) -> None:
    key, rows = _matches(table, value)
    assert key in {r["key"] for r in rows}
    assert {r["payload"] for r in rows} == {value}


def test_scope_expressions() -> None:
    assert scope_filter(Scope()) == ""
    assert scope_filter(Scope(lang="ar")) == 'lang == "ar"'
    both = scope_filter(Scope(Filters(year=2017, lang="en", doc_id="a-b", kind='x"y'), lang="en"))
    assert both == (
        'lang == "en" and lang == "en" and doc_id == "a-b" and kind == "x\\"y" and array_contains(years, 2017)'
    )
    assert scope_filter(Scope(Filters(year=10**30))) == NOTHING
