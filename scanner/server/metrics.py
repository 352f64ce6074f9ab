"""Prometheus metrics: reports ingested, ingest latency, exposures by verdict.

Each app has its own registry (no process-wide state). Exposures are counted
from the database when Prometheus scrapes, so every server process reports
the same truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ExposureCollector(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "keysweep_exposures",
            "Present sightings that are exposures (retired keys, forged tokens), by verdict",
            labels=["verdict"],
        )
        for verdict, count in sorted(self.counts().items()):
            family.add_metric([verdict], count)
        yield family


class Metrics:
    def __init__(self, exposure_counts: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.reports = Counter(
            "keysweep_reports_ingested",
            "Uploaded reports, by outcome (new, already, refused, invalid)",
            ["outcome"],
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "keysweep_ingest_seconds",
            "Time to validate, store and judge one uploaded report",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.rejudge_seconds = Histogram(
            "keysweep_rejudge_seconds",
            "Time to store a registry version and re-judge every sighting",
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.alerts = Counter(
            "keysweep_alert_deliveries",
            "Webhook deliveries, by outcome (delivered, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.registry.register(ExposureCollector(exposure_counts))

    def render(self) -> bytes:
        return generate_latest(self.registry)
