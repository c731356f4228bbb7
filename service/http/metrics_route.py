"""``GET /metrics``: the Prometheus exposition of this instance (``service.metrics``).

Like the health probes (``probes``), a plain Sanic route outside ``/v1`` and outside the
pipeline: no SuperTokens session, nothing to validate. ``openapi.yaml`` declares it with
a security of its own (none, or the ``metricsToken`` bearer), so ``pipeline.install`` is
given its operationId (``public``). ``METRICS_TOKEN`` makes it answer only
``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant time; 401 otherwise);
``METRICS_ENABLED=false`` makes it answer 404, and nothing is recorded per request.
The answer gets what every answer gets (``render.API_HEADERS``, CORS, a request id).
"""

from __future__ import annotations

import hmac
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from service import errors, metrics
from service.http.contract import Contract
from service.http.render import API_HEADERS
from service.settings import Observability

App = Sanic[Any, Any]

OPERATION = "getMetrics"  # its operationId in openapi.yaml
PATH = "/metrics"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="metrics"'}


def presents(authorization: str | None, token: str) -> bool:
    """Whether ``authorization`` is ``Bearer <token>`` (the scheme in any case)."""
    scheme, _, given = (authorization or "").partition(" ")
    matches = hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace")
    )
    return scheme.lower() == "bearer" and matches


def register(app: App, contract: Contract, settings: Observability) -> tuple[str, ...]:
    """Route ``/metrics`` where ``contract`` puts it; return its operationId."""
    token = settings.metrics_token

    async def metrics_endpoint(request: Request) -> HTTPResponse:
        if not settings.metrics_enabled:
            raise errors.NotFound("Metrics are turned off on this instance (METRICS_ENABLED).")
        if token is not None and not presents(request.headers.get("authorization"), token):
            raise errors.Unauthorised(
                "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.",
                headers=_CHALLENGE,
            )
        return HTTPResponse(
            metrics.exposition(), headers=dict(API_HEADERS), content_type=metrics.CONTENT_TYPE
        )

    operation = contract.operations[OPERATION]
    app.add_route(metrics_endpoint, operation.sanic_uri, methods=[operation.method], name=OPERATION)
    return (OPERATION,)
