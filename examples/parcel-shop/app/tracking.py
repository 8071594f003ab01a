"""tracking: a parcel's journey (events kept in memory); every new status is handed to the `notifier` worker."""

from __future__ import annotations

import os
import threading
import time

from shopkit import HttpError, Request, Response, Service, call

NOTIFIER = os.environ.get("NOTIFIER_URL", "http://notifier:8080")
STATUSES = ("REGISTERED", "PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED")

svc = Service("tracking", "tracking.events")
_lock = threading.Lock()
_events: dict[str, list[dict[str, object]]] = {
    "1": [{"status": "REGISTERED", "at": time.time()}, {"status": "IN_TRANSIT", "at": time.time()}],
    "2": [{"status": "REGISTERED", "at": time.time()}],
}


@svc.route("GET", "/tracking/{id}")
def journey(request: Request) -> list[dict[str, object]]:
    with _lock:
        events = list(_events.get(request.params["id"], []))
    svc.log.info("Journey of parcel %s has %d events", request.params["id"], len(events))
    return events


@svc.route("POST", "/tracking/{id}/events")
def add_event(request: Request) -> Response:
    status = str(request.json().get("status", "")).upper()
    if status not in STATUSES:
        raise HttpError(400, f"status must be one of {', '.join(STATUSES)}")
    event = {"status": status, "at": time.time()}
    with _lock:
        _events.setdefault(request.params["id"], []).append(event)
    svc.log.info("Parcel %s is now %s", request.params["id"], status)
    job = call(
        "POST",
        f"{NOTIFIER}/jobs",
        "/jobs",
        {"kind": "status-changed", "parcel": request.params["id"], "status": status},
    )
    if job.status != 202:
        svc.log.warning("Notifier did not take the job (HTTP %d); the customer will not be told", job.status)
    return Response(201, event)


if __name__ == "__main__":
    svc.run()
