"""What an operator can watch, in the Prometheus text format (``GET /metrics``).

One :class:`Metrics` per app, with its own registry (so several apps in one process, as in the
tests, never share counters). Routes and middleware report through its ``record_*`` methods;
the index gauges are read from the collection when ``/metrics`` is scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from index.builder import IngestReport
from index.collection import Collection

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# No ``*_created`` series beside every counter and histogram: a scrape would carry one more
# series per label set, which Prometheus's text format does not need (it is process-wide).
disable_created_metrics()

_QUESTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_INGEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class _IndexCollector(Collector):
    """Documents, chunks and the version being served, read at scrape time."""

    def __init__(self, collection: Callable[[], Collection | None]) -> None:
        self._collection = collection

    def collect(self) -> Iterator[GaugeMetricFamily | InfoMetricFamily]:
        collection = self._collection()
        if collection is None:
            return
        try:
            snapshot = collection.snapshot()
        except Exception:  # a broken index must not break the scrape; /health reports it
            logger.warning("metrics: cannot read the index", exc_info=True)
            return
        version = snapshot.version or ""
        yield InfoMetricFamily(
            "marja_index",
            "The index version being served.",
            value={"version": version, "model": collection.embedder.model_id},
        )
        number = int(version[1:]) if version[1:].isdigit() else 0
        yield GaugeMetricFamily(
            "marja_index_version_number", "The served version's number (0: empty index).", value=number
        )
        yield GaugeMetricFamily(
            "marja_index_documents",
            "Documents in the served version.",
            value=len(snapshot.manifest.documents),
        )
        yield GaugeMetricFamily(
            "marja_index_chunks", "Chunks (passages) in the served version.", value=snapshot.manifest.chunks
        )


class Metrics:
    def __init__(self, collection: Callable[[], Collection | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "marja_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "marja_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            buckets=_QUESTION_BUCKETS,
            registry=self.registry,
        )
        self.question_seconds = Histogram(
            "marja_question_duration_seconds",
            "Time spent on a question, by stage: 'embed' (the question's vector) and 'search' "
            "(analysis, both indexes, fusion, highlights).",
            ["stage"],
            buckets=_QUESTION_BUCKETS,
            registry=self.registry,
        )
        self.questions = Counter(
            "marja_questions",
            "Questions answered, by whether a passage was confident enough to answer ('true', 'false').",
            ["answered"],
            registry=self.registry,
        )
        self.ingested = Counter(
            "marja_ingest_documents",
            "Documents sent to POST/PUT /documents and DELETE, by result: 'added', 'replaced', "
            "'removed', 'unchanged', or 'failed' (refused while parsing or indexing).",
            ["result"],
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "marja_ingest_duration_seconds",
            "Time of one ingest through the API, by stage: 'parse' (the file) and 'index'.",
            ["stage"],
            buckets=_INGEST_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "marja_rate_limited_requests",
            "Requests refused with 429 by the rate limit, by path.",
            ["path"],
            registry=self.registry,
        )
        self.registry.register(_IndexCollector(collection))

    # -- what routes and middleware report -------------------------------------------------------

    def record_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def record_question(self, *, embed_seconds: float, search_seconds: float) -> None:
        self.question_seconds.labels("embed").observe(embed_seconds)
        self.question_seconds.labels("search").observe(search_seconds)

    def record_answer(self, answered: bool) -> None:
        """Count one question; ``answered=False`` when no passage was confident enough."""
        self.questions.labels(str(answered).lower()).inc()

    def record_ingest(self, report: IngestReport) -> None:
        for result, ids in (
            ("added", report.added),
            ("replaced", report.replaced),
            ("removed", report.removed),
            ("unchanged", report.unchanged),
        ):
            if ids:
                self.ingested.labels(result).inc(len(ids))

    def record_ingest_failure(self) -> None:
        self.ingested.labels("failed").inc()

    def record_ingest_stage(self, stage: str, seconds: float) -> None:
        self.ingest_seconds.labels(stage).observe(seconds)

    def record_rate_limited(self, path: str) -> None:
        self.rate_limited.labels(path).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
