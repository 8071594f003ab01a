"""Latency rows from Actuator/Prometheus `http_server_requests_seconds` histograms (buckets, _sum/_count, _max)."""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from dockhand.telemetry.latency import UNMATCHED_ROUTES, LatencyRow

FAMILY = "http_server_requests_seconds"


@dataclass
class HttpHistogram:
    """Cumulative counters of one operation (method + uri), summed over status/outcome/exception labels."""

    buckets: dict[float, float] = field(default_factory=dict)  # upper bound (s) → cumulative count
    count: float = 0.0
    sum_s: float = 0.0
    errors: float = 0.0
    max_s: float | None = None

    def minus(self, earlier: HttpHistogram) -> HttpHistogram:
        """The increase since `earlier` (a counter that went down means the service restarted: keep ours)."""
        if self.count < earlier.count:
            return self
        return HttpHistogram(
            {le: n - earlier.buckets.get(le, 0.0) for le, n in self.buckets.items()},
            self.count - earlier.count,
            self.sum_s - earlier.sum_s,
            self.errors - earlier.errors,
            self.max_s,
        )

    def quantile(self, q: float) -> float | None:
        """Prometheus' histogram_quantile: linear interpolation inside the bucket that holds rank q·count."""
        bounds = sorted(self.buckets)
        if not bounds or self.count <= 0:
            return None
        rank = q * self.buckets[bounds[-1]]
        previous_bound, previous_count = 0.0, 0.0
        for bound in bounds:
            cumulative = self.buckets[bound]
            if cumulative >= rank:
                if math.isinf(bound):
                    return previous_bound  # beyond the last finite bucket: its upper bound is all we know
                if cumulative == previous_count:
                    return bound
                return previous_bound + (bound - previous_bound) * (rank - previous_count) / (
                    cumulative - previous_count
                )
            previous_bound, previous_count = bound, cumulative
        return previous_bound

    def bucket_of(self, seconds: float) -> tuple[float, float]:
        """The (lower, upper] bucket bounds around a value — the resolution a quantile here has."""
        bounds = sorted(b for b in self.buckets if not math.isinf(b))
        i = bisect.bisect_left(bounds, seconds)
        lower = bounds[i - 1] if i > 0 else 0.0
        upper = bounds[i] if i < len(bounds) else math.inf
        return lower, upper


def _is_error(labels: dict[str, str]) -> bool:
    return labels.get("outcome") == "SERVER_ERROR" or labels.get("status", "").startswith("5")


def parse_http_histograms(text: str) -> dict[str, HttpHistogram]:
    """Operation ("GET /orders/{id}") → summed histogram, from one /actuator/prometheus scrape."""
    out: dict[str, HttpHistogram] = {}

    def entry(labels: dict[str, str]) -> HttpHistogram:
        operation = f"{labels.get('method', '')} {labels.get('uri', '')}".strip() or "*"
        return out.setdefault(operation, HttpHistogram())

    for family in text_string_to_metric_families(text):
        if family.name not in (FAMILY, FAMILY + "_max"):
            continue
        for sample in family.samples:
            labels = dict(sample.labels)
            if labels.get("uri") in UNMATCHED_ROUTES:
                continue  # a request no route matched (404, 405): not an operation, and not worth keeping
            h = entry(labels)
            if sample.name == FAMILY + "_bucket":
                le = float(labels["le"])
                h.buckets[le] = h.buckets.get(le, 0.0) + sample.value
            elif sample.name == FAMILY + "_count":
                h.count += sample.value
                if _is_error(labels):
                    h.errors += sample.value
            elif sample.name == FAMILY + "_sum":
                h.sum_s += sample.value
            elif sample.name == FAMILY + "_max":
                h.max_s = max(h.max_s or 0.0, sample.value)
    return out


def rows_from_histograms(service: str, histograms: dict[str, HttpHistogram]) -> list[LatencyRow]:
    """One row per operation that served requests; quantiles need buckets (percentiles-histogram on)."""
    rows = []
    for operation, h in sorted(histograms.items()):
        if h.count <= 0:
            continue
        ms = [None if (v := h.quantile(q)) is None else v * 1000 for q in (0.5, 0.95, 0.99)]
        rows.append(
            LatencyRow(
                service, operation, ms[0], ms[1], ms[2], round(h.count), h.errors / h.count, "prometheus",
                h.sum_s / h.count * 1000, None if h.max_s is None else h.max_s * 1000,
            )
        )  # fmt: skip
    return rows


@dataclass
class _Scrape:
    time_s: float
    histograms: dict[str, HttpHistogram]


FINE_S = 120.0
"""Scrapes younger than this are all kept; older ones one a minute (COARSE_STEP_S) until the retention age."""
COARSE_STEP_S = 60.0


class ScrapeHistory:
    """Recent scrapes of one service, so a window's rows are increases (like PromQL's increase()).

    Every scrape kept for the whole retention hour was ~4 KB per service every 5 s — the soak's largest growth
    (+0.25 MB/min with five services). Past FINE_S one scrape a minute is kept: a window older than two minutes
    may then start up to a minute early, the resolution the span-based latency table has anyway.
    """

    def __init__(self, keep_s: float = 3600.0) -> None:
        self.keep_s = keep_s
        self._coarse: deque[_Scrape] = deque()
        self._fine: deque[_Scrape] = deque()

    def __len__(self) -> int:
        return len(self._coarse) + len(self._fine)

    def add(self, time_s: float, text: str) -> None:
        """Record one scrape (raises ValueError on text that is not the Prometheus format)."""
        self._fine.append(_Scrape(time_s, parse_http_histograms(text)))
        while self._fine[0].time_s < time_s - FINE_S:
            aged = self._fine.popleft()
            if not self._coarse or aged.time_s - self._coarse[-1].time_s >= COARSE_STEP_S:
                self._coarse.append(aged)
        while self._coarse and self._coarse[0].time_s < time_s - self.keep_s:
            self._coarse.popleft()

    def window(self, window_s: float, now_s: float) -> dict[str, HttpHistogram]:
        """Increases over the window; cumulative since the service started when no scrape is that old."""
        if not self._fine:
            return {}
        latest = self._fine[-1].histograms
        baseline = None
        for scrape in (*self._coarse, *self._fine):
            if scrape.time_s <= now_s - window_s:
                baseline = scrape
        if baseline is None:
            return latest
        return {op: h.minus(baseline.histograms[op]) if op in baseline.histograms else h for op, h in latest.items()}
