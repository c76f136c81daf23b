"""A :class:`~index.backends.base.Scope` as a Milvus filter expression.

Filter values come from users (``filters`` of ``/ask``, ``marja ask --kind``): strings become
double-quoted literals with every quote and backslash escaped, numbers are converted to ``int``,
so no value can end its literal and add to the expression. milvus-lite has no expression
templates (``filter_params``), so the literals are written here for every Milvus.
"""

from __future__ import annotations

from index.backends.base import Scope

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_INT64 = range(-(2**63), 2**63)
NOTHING = "id < 0"
"""An expression no chunk matches (chunk ids are never negative)."""


def string_literal(value: str) -> str:
    """``value`` as a Milvus string literal."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def scope_filter(scope: Scope) -> str:
    """The chunks of ``scope`` as an expression over the chunks collection ("" for all)."""
    f = scope.filters
    terms: list[str] = []
    if f.lang is not None:
        terms.append(f"lang == {string_literal(f.lang)}")
    if scope.lang is not None:
        terms.append(f"lang == {string_literal(scope.lang)}")
    if f.doc_id is not None:
        terms.append(f"doc_id == {string_literal(f.doc_id)}")
    if f.kind is not None:
        terms.append(f"kind == {string_literal(f.kind)}")
    if f.year is not None:
        if int(f.year) not in _INT64:
            return NOTHING
        terms.append(f"array_contains(years, {int(f.year)})")
    return " and ".join(terms)
