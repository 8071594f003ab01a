"""notifier: a worker that takes jobs over HTTP and sends customer notifications from a queue, in the background."""

from __future__ import annotations

import queue
import random
import threading
import time

from shopkit import Request, Response, Service, tracing

svc = Service("notifier", "notifier.worker", {"queue": lambda: _queue_health()})
MAX_BACKLOG = 1000
_jobs: queue.Queue[tuple[dict[str, object], tracing.SpanContext | None]] = queue.Queue()
_sent = 0


def _queue_health() -> tuple[str, dict[str, object]]:
    backlog = _jobs.qsize()
    return ("UP" if backlog < MAX_BACKLOG else "OUT_OF_SERVICE"), {"backlog": backlog, "sent": _sent}


@svc.route("POST", "/jobs")
def enqueue(request: Request) -> Response:
    job = request.json()
    span = tracing.current_span()
    _jobs.put((job, span.context if span else None))
    svc.log.info("Queued %s job for parcel %s", job.get("kind"), job.get("parcel"))
    return Response(202, {"queued": True, "backlog": _jobs.qsize()})


def work() -> None:
    """Each job continues the producer's trace in a CONSUMER span, as a message-queue consumer would."""
    global _sent
    while True:
        job, parent = _jobs.get()
        with tracing.start_span("notify send", tracing.CONSUMER, parent, **{"messaging.operation": "process"}):
            time.sleep(random.uniform(0.01, 0.04))
            _sent += 1
            svc.log.info("Told the recipient of parcel %s: %s", job.get("parcel"), job.get("status"))


if __name__ == "__main__":
    threading.Thread(target=work, name="notify-worker", daemon=True).start()
    svc.run()
