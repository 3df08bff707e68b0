"""GET /v1/changes (R-FEED)."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from marshmallow import RAISE

from registry.api.arguments import Blueprint
from registry.api.auth import requires
from registry.api.changes.schemas import ChangesQuerySchema, ChangesSchema
from registry.api.common import services, tenant

blp = Blueprint("changes", __name__, url_prefix="/v1", description="Change feed (R-FEED)")


@blp.route("/changes")
class Changes(MethodView):
    @requires("consents:read")
    @blp.arguments(ChangesQuerySchema, location="query", as_kwargs=True, unknown=RAISE)
    @blp.response(200, ChangesSchema)
    def get(self, after_position: int, limit: int, kinds: frozenset[str], wait: float) -> Any:
        """Consent, suppression, erasure, template, policy and limit changes in log order.

        Continue with `after_position` = the page's `next_after_position` (on an empty
        page, the `after_position` asked). With `wait`, an empty page is held until a
        matching change commits or `wait` seconds pass. A worker that cannot hold the
        wait (a single-threaded worker, or one already holding `REGISTRY_FEED_MAX_WAITS`)
        answers at once with `Retry-After: 1`."""
        page, held = services().feed.changes(
            tenant(),
            after_position=after_position,
            limit=limit,
            kinds=kinds,
            wait=wait,
            may_hold=bool(request.environ.get("wsgi.multithread")),
        )
        # The items are JSON texts kept with the events (usecases/feed.py); marshmallow's
        # dump of a 1000-item page cost 80 % of the request (bench.feed_micro), so the page
        # is written as it is. ChangesSchema documents it; tests/e2e/test_changes_feed.py
        # checks the shape.
        answer = Response(page.json(), mimetype="application/json")
        if wait > 0 and not held:
            answer.headers["Retry-After"] = "1"
        return answer
