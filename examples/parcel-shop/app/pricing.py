"""pricing: quotes a price for a parcel from its weight and zone (pure computation, no dependencies)."""

from __future__ import annotations

from shopkit import HttpError, Request, Service

svc = Service("pricing", "com.parcelshop.pricing.QuoteController")
ZONES = {"domestic": 1.0, "europe": 1.8, "world": 3.2}


@svc.route("POST", "/quotes")
def quote(request: Request) -> dict[str, object]:
    order = request.json()
    zone = str(order.get("zone", "domestic"))
    try:
        weight = float(order["weight_kg"])
        factor = ZONES[zone]
    except (KeyError, TypeError, ValueError) as exc:
        raise HttpError(400, f"expected weight_kg and a zone among {', '.join(ZONES)}") from exc
    if not 0 < weight <= 30:
        raise HttpError(422, "weight_kg must be between 0 and 30")
    price = round((290 + 150 * weight) * factor)
    svc.log.info("Quoted %d cents for %.2f kg to zone %s", price, weight, zone)
    return {"price_cents": price, "currency": "EUR", "zone": zone}


@svc.route("GET", "/quotes/zones")
def zones(_request: Request) -> dict[str, float]:
    return ZONES


if __name__ == "__main__":
    svc.run()
