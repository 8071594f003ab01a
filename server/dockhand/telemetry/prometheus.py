"""Latency rows from Actuator/Prometheus `http_server_requests_seconds` histograms (buckets, _sum/_count, _max)."""

from __future__ import annotations

import bisect
import math
import threading
from array import array
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


class PackedHttpHistogram:
    """An HttpHistogram of a kept older scrape: its bucket bounds shared with the other scrapes, its numbers in one
    array (~250 bytes an operation instead of ~1.5 KB of dicts and floats)."""

    __slots__ = ("bounds", "numbers")

    def __init__(self, h: HttpHistogram, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        max_s = math.nan if h.max_s is None else h.max_s
        self.numbers = array("d", (h.count, h.sum_s, h.errors, max_s, *(h.buckets[le] for le in bounds)))

    def unpacked(self) -> HttpHistogram:
        """The HttpHistogram again."""
        count, sum_s, errors, max_s = self.numbers[:4]
        buckets = dict(zip(self.bounds, self.numbers[4:], strict=True))
        return HttpHistogram(buckets, count, sum_s, errors, None if math.isnan(max_s) else max_s)


@dataclass
class _Scrape:
    time_s: float
    histograms: dict[str, HttpHistogram]


@dataclass
class _PackedScrape:
    time_s: float
    packed: dict[str, PackedHttpHistogram]

    @property
    def histograms(self) -> dict[str, HttpHistogram]:
        return {op: h.unpacked() for op, h in self.packed.items()}


FINE_S = 120.0
"""Scrapes younger than this are all kept; older ones one a minute (COARSE_STEP_S) until the retention age."""
COARSE_STEP_S = 60.0


class ScrapeHistory:
    """Recent scrapes of one service, so a window's rows are increases (like PromQL's increase()).

    Every scrape kept for the whole retention hour was ~4 KB per service every 5 s — the soak's largest growth
    (+0.25 MB/min with five services). Past FINE_S one scrape a minute is kept: a window older than two minutes
    may then start up to a minute early, the resolution the span-based latency table has anyway. Those minute
    scrapes are packed (PackedHttpHistogram): kept as parsed dicts they still grew ~45 KB a minute for the whole
    hour with the example stack's five services (~9 KB a scrape), ~0.05 MB/min.
    """

    def __init__(self, keep_s: float = 3600.0) -> None:
        self.keep_s = keep_s
        self._coarse: deque[_PackedScrape] = deque()
        self._fine: deque[_Scrape] = deque()
        self._bounds: dict[tuple[float, ...], tuple[float, ...]] = {}  # one tuple per set of bucket bounds
        self._lock = threading.Lock()  # scrapes arrive on the event loop; maintenance and queries run on workers

    def __len__(self) -> int:
        return len(self._coarse) + len(self._fine)

    def add(self, time_s: float, text: str) -> None:
        """Record one scrape (raises ValueError on text that is not the Prometheus format)."""
        scrape = _Scrape(time_s, parse_http_histograms(text))
        with self._lock:
            self._fine.append(scrape)
            self._prune(time_s)

    def prune(self, now_s: float) -> None:
        """Thin scrapes past FINE_S out to one a minute (packed), forget those past the retention age."""
        with self._lock:
            self._prune(now_s)

    def _prune(self, now_s: float) -> None:
        while self._fine and self._fine[0].time_s < now_s - FINE_S and len(self._fine) > 1:
            aged = self._fine.popleft()
            if not self._coarse or aged.time_s - self._coarse[-1].time_s >= COARSE_STEP_S:
                self._coarse.append(
                    _PackedScrape(aged.time_s, {op: self._pack(h) for op, h in aged.histograms.items()})
                )
        while self._coarse and self._coarse[0].time_s < now_s - self.keep_s:
            self._coarse.popleft()
        if self._fine and self._fine[-1].time_s < now_s - self.keep_s:
            self._fine.clear()  # a service that stopped being scraped an hour ago
        if not self._coarse:
            self._bounds.clear()

    def _pack(self, h: HttpHistogram) -> PackedHttpHistogram:
        bounds = tuple(sorted(h.buckets))
        return PackedHttpHistogram(h, self._bounds.setdefault(bounds, bounds))

    def window(self, window_s: float, now_s: float) -> dict[str, HttpHistogram]:
        """Increases over the window; cumulative since the service started when no scrape is that old."""
        with self._lock:
            if not self._fine:
                return {}
            scrapes: tuple[_Scrape | _PackedScrape, ...] = (*self._coarse, *self._fine)
        latest = scrapes[-1].histograms
        baseline: _Scrape | _PackedScrape | None = None
        for scrape in scrapes:
            if scrape.time_s <= now_s - window_s:
                baseline = scrape
        if baseline is None:
            return latest
        base = baseline.histograms
        return {op: h.minus(base[op]) if op in base else h for op, h in latest.items()}
