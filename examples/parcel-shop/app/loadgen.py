"""Load generator: drives realistic shop traffic at the gateway at a steady rate and prints a summary every 10 s.

    python3 loadgen.py --url http://127.0.0.1:8080 --rate 20 --duration 60
Inside the stack it runs as the `loadgen` service (profile `load`), configured by TARGET_URL, RATE, DURATION_S.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

NAMES = ("Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Margaret", "Dennis")


def next_request(rng: random.Random) -> tuple[str, str, dict[str, object] | None]:
    """A shop visitor's next move: mostly look-ups, some quotes and orders, a few typos (404s)."""
    roll = rng.random()
    if roll < 0.55:
        return "GET", f"/api/parcels/{rng.randint(1, 12)}", None
    if roll < 0.65:
        return "GET", "/api/parcels", None
    if roll < 0.80:
        return (
            "POST",
            "/api/quotes",
            {"weight_kg": round(rng.uniform(0.1, 25), 1), "zone": rng.choice(["domestic", "europe", "world"])},
        )
    if roll < 0.95:
        sender, recipient = rng.sample(NAMES, 2)
        return (
            "POST",
            "/api/parcels",
            {"sender": sender, "recipient": recipient, "weight_kg": round(rng.uniform(0.1, 20), 1)},
        )
    return "GET", f"/api/parcels/{rng.randint(1, 12)}/tracking", None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}

    def add(self, status: str, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def report(self) -> str:
        with self.lock:
            lat, statuses = sorted(self.latencies), dict(self.statuses)
            self.latencies, self.statuses = [], {}
        if not lat:
            return "no requests"
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        return f"{len(lat)} requests, statuses {statuses}, p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def send(base: str, method: str, path: str, body: dict[str, object] | None, stats: Stats) -> None:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, {"Content-Type": "application/json"}, method=method)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            status = str(response.status)
    except urllib.error.HTTPError as exc:
        status = str(exc.code)
    except OSError as exc:
        status = type(exc).__name__
    stats.add(status, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TARGET_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("RATE", "5")), help="requests per second")
    parser.add_argument("--duration", type=float, default=float(os.environ.get("DURATION_S", "0")), help="0 = forever")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng, stats = random.Random(args.seed), Stats()
    print(f"loadgen: {args.rate:g} req/s against {args.url}", flush=True)
    started = last_report = time.monotonic()
    sent = 0
    # Open loop: requests are scheduled at the rate whatever the latency, as real visitors arrive.
    with ThreadPoolExecutor(max_workers=32) as pool:
        while not args.duration or time.monotonic() - started < args.duration:
            pool.submit(send, args.url.rstrip("/"), *next_request(rng), stats)
            sent += 1
            time.sleep(max(0.0, started + sent / args.rate - time.monotonic()))
            if time.monotonic() - last_report >= 10:
                last_report = time.monotonic()
                print(f"loadgen: {stats.report()}", flush=True)
    print(f"loadgen: done, {sent} requests; last: {stats.report()}", flush=True)


if __name__ == "__main__":
    main()
