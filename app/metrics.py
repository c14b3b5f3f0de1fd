"""Prometheus metrics (prometheus-client): request latency by route, assignment recompute time, and figures read
from the database when /metrics is scraped (the outbox's depth).

Several server processes (`aptrain serve --workers N`) each count their own requests; prometheus-client's
multiprocess mode adds them up. It is on when PROMETHEUS_MULTIPROC_DIR names a folder: `aptrain serve` sets it to
a fresh temporary folder when it starts more than one worker (or empties the one given), before any worker starts
(app/metrics_folder.py, which imports nothing that would open this folder's files).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from app.metrics_folder import MULTIPROC_ENV

REQUEST_SECONDS = Histogram(
    "aptrain_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template (never the raw path) and status",
    ["method", "route", "status"],
)
RECOMPUTE_SECONDS = Histogram(
    "aptrain_assignment_recompute_seconds",
    "Time to recompute a batch of officials' assignments (a completion, a posting change, an import, a requirement)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)


def outbox_families(depth: dict[str, int] | None, oldest_due_seconds: float | None) -> list[Metric]:
    """The outbox's messages waiting (queued), being sent and failed; and how long the oldest message due has
    waited. Nothing when there is no outbox table."""
    if depth is None:
        return []
    messages = GaugeMetricFamily("aptrain_outbox_messages", "Outbox messages by status (sent ones are not counted)",
                                 labels=["status"])
    for status, count in sorted(depth.items()):
        messages.add_metric([status], count)
    lag = GaugeMetricFamily("aptrain_outbox_oldest_due_seconds",
                            "How long the oldest queued message that is due has been waiting (0 when none)")
    lag.add_metric([], oldest_due_seconds or 0.0)
    return [messages, lag]


class _Families:
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


def render(extra: Iterable[Metric] = ()) -> bytes:
    """The exposition text: this process's metrics (or every worker's, in multiprocess mode) and `extra`."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    text = generate_latest(registry)
    extra = list(extra)
    if extra:
        scraped = CollectorRegistry()
        scraped.register(_Families(extra))
        text += generate_latest(scraped)
    return text
