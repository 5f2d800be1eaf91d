"""Prometheus metrics for /metrics (prometheus_client).

Request counters live in each web process; ``esoutien serve`` runs several gunicorn workers,
so they are kept in prometheus_client's multiprocess mode (one small file per process under
``ESOUTIEN_METRICS_DIR``) and /metrics adds them up, whichever worker answers. Everything
else (tickets, mails, SLA breaches, the service state) is counted in the database at scrape
time, so it is the same whichever process answers and survives restarts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

# prometheus_client picks its storage when first imported: point it at the shared directory
# before that (a process that imported it earlier keeps plain in-memory counters).
_METRICS_DIR = getattr(settings, "ESOUTIEN_METRICS_DIR", None)
if _METRICS_DIR and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    try:
        Path(_METRICS_DIR).mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_METRICS_DIR)
    except OSError:
        pass

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

_MULTIPROCESS = (
    bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    and Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
)

# Own registry: the process default one would add Python/process collectors that make no
# sense summed over workers.
_LOCAL = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "esoutien_http_requests",
    "HTTP requests answered, by method, status class and area of the site.",
    ["method", "status", "area"],
    registry=_LOCAL,
)
DURATION = Histogram(
    "esoutien_http_request_duration_seconds",
    "Time to answer an HTTP request, by area of the site.",
    ["area"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=_LOCAL,
)

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_request(method: str, status: int, area: str, seconds: float) -> None:
    method = method.upper() if method.upper() in _METHODS else "OTHER"
    REQUESTS.labels(method=method, status=f"{status // 100}xx", area=area).inc()
    DURATION.labels(area=area).observe(seconds)


class DatabaseCollector(Collector):
    """Counts read from the database at scrape time."""

    def collect(self) -> Iterator[Any]:
        from esoutien.status import metrics_queries

        yield from metrics_queries.families(CounterMetricFamily, GaugeMetricFamily)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    if _MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_LOCAL_PROXY)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _LocalProxy(Collector):
    def collect(self) -> Iterator[Any]:
        yield from _LOCAL.collect()


_LOCAL_PROXY = _LocalProxy()
