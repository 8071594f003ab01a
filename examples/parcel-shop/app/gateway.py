"""gateway: the shop's public API; routes each call to `parcels`, `pricing` or `tracking`, passing the trace on."""

from __future__ import annotations

import os

from shopkit import Reply, Request, Response, Service, call

PARCELS = os.environ.get("PARCELS_URL", "http://parcels:8080")
PRICING = os.environ.get("PRICING_URL", "http://pricing:8080")
TRACKING = os.environ.get("TRACKING_URL", "http://tracking:8080")

svc = Service("gateway", "com.parcelshop.gateway.ApiGateway")


def relay(reply: Reply) -> Response:
    return Response(reply.status, reply.body)


@svc.route("GET", "/api/parcels")
def list_parcels(_request: Request) -> Response:
    return relay(call("GET", f"{PARCELS}/parcels", "/parcels"))


@svc.route("GET", "/api/parcels/{id}")
def get_parcel(request: Request) -> Response:
    svc.log.info("Looking up parcel %s", request.params["id"])
    return relay(call("GET", f"{PARCELS}/parcels/{request.params['id']}", "/parcels/{id}"))


@svc.route("POST", "/api/parcels")
def create_parcel(request: Request) -> Response:
    reply = call("POST", f"{PARCELS}/parcels", "/parcels", request.json())
    svc.log.info("Parcel order answered %d", reply.status)
    return relay(reply)


@svc.route("GET", "/api/parcels/{id}/tracking")
def track(request: Request) -> Response:
    return relay(call("GET", f"{TRACKING}/tracking/{request.params['id']}", "/tracking/{id}"))


@svc.route("POST", "/api/quotes")
def quote(request: Request) -> Response:
    return relay(call("POST", f"{PRICING}/quotes", "/quotes", request.json()))


if __name__ == "__main__":
    svc.run()
