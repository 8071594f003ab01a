"""parcels: the parcel register (SQLite on a volume); prices new parcels with `pricing`, reads `tracking`."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from shopkit import HttpError, Request, Response, Service, actuator, call

PRICING = os.environ.get("PRICING_URL", "http://pricing:8080")
TRACKING = os.environ.get("TRACKING_URL", "http://tracking:8080")
DATA_DIR = os.environ.get("DATA_DIR", "/data")

_db_lock = threading.Lock()
_db = sqlite3.connect(os.path.join(DATA_DIR, "parcels.db"), check_same_thread=False)


def _probe() -> object:
    with _db_lock:
        return _db.execute("SELECT 1").fetchone()


svc = Service(
    "parcels",
    "com.parcelshop.parcels.ParcelController",
    {"db": actuator.database(_probe), "diskSpace": actuator.disk_space(DATA_DIR)},
)
COLUMNS = ("id", "sender", "recipient", "weight_kg", "price_cents", "created_at")


def _row(values: tuple[object, ...]) -> dict[str, object]:
    return dict(zip(COLUMNS, values, strict=True))


def _setup() -> None:
    with _db_lock, _db:
        _db.execute(
            "CREATE TABLE IF NOT EXISTS parcels (id INTEGER PRIMARY KEY, sender TEXT, recipient TEXT,"
            " weight_kg REAL, price_cents INTEGER, created_at REAL)"
        )
        if _db.execute("SELECT COUNT(*) FROM parcels").fetchone()[0] == 0:
            seed = [("Ada", "Grace", 1.2, 590), ("Linus", "Ken", 0.4, 390), ("Barbara", "Edsger", 7.5, 1490)]
            _db.executemany(
                "INSERT INTO parcels (sender, recipient, weight_kg, price_cents, created_at) VALUES (?, ?, ?, ?, ?)",
                [(*s, time.time()) for s in seed],
            )


@svc.route("GET", "/parcels")
def list_parcels(_request: Request) -> list[object]:
    with _db_lock:
        rows = _db.execute(f"SELECT {', '.join(COLUMNS)} FROM parcels ORDER BY id DESC LIMIT 50").fetchall()
    return [_row(r) for r in rows]


@svc.route("GET", "/parcels/{id}")
def get_parcel(request: Request) -> dict[str, object]:
    with _db_lock:
        row = _db.execute(f"SELECT {', '.join(COLUMNS)} FROM parcels WHERE id = ?", (request.params["id"],)).fetchone()
    if row is None:
        svc.log.info("Parcel %s not found", request.params["id"])
        raise HttpError(404, f"no parcel {request.params['id']}")
    parcel = _row(row)
    events = call("GET", f"{TRACKING}/tracking/{parcel['id']}", "/tracking/{id}")
    parcel["events"] = events.body if events.status == 200 else []
    svc.log.info("Fetched parcel %s with %d tracking events", parcel["id"], len(parcel["events"]))
    return parcel


@svc.route("POST", "/parcels")
def create_parcel(request: Request) -> Response:
    order = request.json()
    try:
        sender, recipient, weight = str(order["sender"]), str(order["recipient"]), float(order["weight_kg"])
    except (KeyError, TypeError, ValueError) as exc:
        raise HttpError(400, "expected sender, recipient and weight_kg") from exc
    quote = call("POST", f"{PRICING}/quotes", "/quotes", {"weight_kg": weight, "zone": order.get("zone", "domestic")})
    if quote.status != 200:
        raise HttpError(502, f"pricing answered {quote.status}")
    with _db_lock, _db:
        cursor = _db.execute(
            "INSERT INTO parcels (sender, recipient, weight_kg, price_cents, created_at) VALUES (?, ?, ?, ?, ?)",
            (sender, recipient, weight, quote.body["price_cents"], time.time()),
        )
    parcel_id = cursor.lastrowid
    call("POST", f"{TRACKING}/tracking/{parcel_id}/events", "/tracking/{id}/events", {"status": "REGISTERED"})
    svc.log.info(
        "Registered parcel %s from %s to %s for %d cents", parcel_id, sender, recipient, quote.body["price_cents"]
    )
    return Response(201, {"id": parcel_id, "price_cents": quote.body["price_cents"]})


if __name__ == "__main__":
    _setup()
    svc.run()
