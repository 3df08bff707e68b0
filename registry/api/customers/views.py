from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.views import MethodView

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.common import acting, idempotently, services, tenant
from registry.api.customers.schemas import (
    CustomerSchema,
    ErasureAnswerSchema,
    HistorySchema,
    InboundAnswerSchema,
    InboundSchema,
    OptOutLinkRequestSchema,
    OptOutLinkSchema,
    ProfileSchema,
    ReasonSchema,
    SuppressionAnswerSchema,
)
from registry.api.openapi import CONFLICT, idempotent
from registry.api.queries import MinPositionQuery, PageQuery
from registry.timefmt import iso, utcnow
from registry.web.optout_token import LinkClaims, issue_token

blp = Blueprint(
    "customers", __name__, url_prefix="/v1/customers", description="Customer state (R-CONSENT)"
)
ID = "<path:customer_id>"


@blp.route(f"/{ID}")
class Customer(MethodView):
    @requires("consents:read")
    @blp.arguments(MinPositionQuery, location="query")
    @blp.response(200, CustomerSchema)
    def get(self, query: dict[str, Any], customer_id: str) -> Any:
        """The customer's profile and consents; 404 for a customer never seen."""
        return services().consents.customer(tenant(), customer_id, query.get("min_position"))

    @requires("consents:write")
    @blp.arguments(ProfileSchema)
    @blp.response(200, CustomerSchema)
    @blp.alt_response(409, response=CONFLICT)
    def patch(self, profile: dict[str, Any], customer_id: str) -> Any:
        """Set phone, timezone and locale."""
        with acting():
            return services().consents.change_profile(tenant(), customer_id, profile)


@blp.route(f"/{ID}/history")
class CustomerHistory(MethodView):
    @requires("consents:read")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, HistorySchema)
    def get(self, query: dict[str, Any], customer_id: str) -> Any:
        """Every event of this customer, oldest first (`limit`, `after_position`)."""
        return services().consents.customer_history(tenant(), customer_id, **query)


@blp.route(f"/{ID}/inbound")
class Inbound(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.arguments(InboundSchema)
    @blp.response(201, InboundAnswerSchema)
    def post(self, inbound: dict[str, Any], customer_id: str) -> Any:
        """Record a customer message: opens the service window; STOP words opt out."""
        return idempotently(
            lambda: (
                services().consents.receive_inbound(
                    tenant(),
                    customer_id,
                    channel=inbound["channel"],
                    received_at=inbound.get("received_at"),
                    text=inbound.get("text"),
                ),
                201,
            )
        )


def _suppression(customer_id: str, body: dict[str, Any], on: bool) -> Any:
    return idempotently(
        lambda: (
            services().consents.suppress(tenant(), customer_id, body.get("reason"), on=on),
            200,
        ),
        recorded_status=200,
    )


@blp.route(f"/{ID}/suppress")
class Suppress(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.arguments(ReasonSchema)
    @blp.response(200, SuppressionAnswerSchema)
    def post(self, body: dict[str, Any], customer_id: str) -> Any:
        """Send nothing but authentication messages until unsuppressed."""
        return _suppression(customer_id, body, True)


@blp.route(f"/{ID}/unsuppress")
class Unsuppress(MethodView):
    @requires("consents:write")
    @idempotent
    @blp.arguments(ReasonSchema)
    @blp.response(200, SuppressionAnswerSchema)
    def post(self, body: dict[str, Any], customer_id: str) -> Any:
        return _suppression(customer_id, body, False)


@blp.route(f"/{ID}/erase")
class Erase(MethodView):
    @requires("customers:erase")
    @idempotent
    @blp.arguments(ReasonSchema)
    @blp.response(200, ErasureAnswerSchema)
    def post(self, body: dict[str, Any], customer_id: str) -> Any:
        """Crypto-shred the customer's personal data (R-ERASE)."""
        return idempotently(
            lambda: (services().consents.erase(tenant(), customer_id, body.get("reason")), 200),
            recorded_status=200,
        )


@blp.route(f"/{ID}/optout-links")
class OptOutLinks(MethodView):
    @requires("consents:write")
    @blp.arguments(OptOutLinkRequestSchema)
    @blp.response(201, OptOutLinkSchema)
    def post(self, body: dict[str, Any], customer_id: str) -> Any:
        """A signed, opaque one-click opt-out link for this customer (R-OPTOUT)."""
        expires_at = (utcnow() + timedelta(days=body["expires_in_days"])).replace(microsecond=0)
        claims = LinkClaims(
            tenant=tenant(),
            customer_id=customer_id,
            channel=body["channel"],
            purposes=tuple(body["purposes"]),
            lang=body["lang"],
            expires_at=expires_at,
        )
        token = issue_token(services().parts.keyring.link_key, claims)
        return {
            "url": f"{services().parts.public_url}/u/{token}",
            "token": token,
            "expires_at": iso(expires_at),
        }, 201
