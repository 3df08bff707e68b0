"""Customers (SPEC §15): look up by id or by phone, consents, the timeline of events, and
erasure behind a typed confirmation that must repeat the customer id exactly.

Another tenant's customer is "not found" exactly as one who does not exist: every lookup
names the signed-in tenant, and both cases render the same page."""

from __future__ import annotations

import json
from typing import Any, Final

from flask import Blueprint, flash, g, redirect, request, url_for

from registry.crypto import is_sealed
from registry.querystrings import takes_query
from registry.usecases.console import PhoneNotValid
from registry.web.console.access import acting, has, need, person
from registry.web.console.render import BadValues, allow_fields, page

MAX_CUSTOMER_ID: Final = 128
MAX_REASON: Final = 1024


def event_fields(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    """An event's data as (name, text) pairs; None marks a value sealed for good."""
    fields: list[tuple[str, str | None]] = []
    for name, value in data.items():
        if is_sealed(value):
            fields.append((name, None))
        elif isinstance(value, str):
            fields.append((name, value))
        else:
            fields.append((name, json.dumps(_unsealed(value), ensure_ascii=False)))
    return fields


def _unsealed(value: Any) -> Any:
    if is_sealed(value):
        return "[sealed]"
    if isinstance(value, dict):
        return {k: _unsealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsealed(v) for v in value]
    return value


def _customer_id(raw: str | None, field: str) -> str:
    value = (raw or "").strip()
    if not value or len(value) > MAX_CUSTOMER_ID or not value.isprintable():
        raise BadValues([field])
    return value


def register_customer_pages(bp: Blueprint) -> None:
    @bp.get("/customers")
    @takes_query("customer_id")
    def customers() -> Any:
        need("consents:read")
        if "customer_id" in request.args:
            customer_id = _customer_id(request.args.get("customer_id"), "customer_id")
            return redirect(url_for("console.customer", id=customer_id), 303)
        return page("customers.html")

    @bp.post("/customers/by-phone")
    @takes_query()
    def customer_by_phone() -> Any:
        """A POST, so that the number stays out of URLs, logs and browser history."""
        need("consents:read")
        allow_fields("csrf_token", "phone")
        phone = request.form.get("phone", "")
        try:
            found = g.console_backend.customer_id_by_phone(person().tenant, phone)
        except PhoneNotValid:
            return page("customers.html", phone_error=True, status=422)
        if found is None:
            return page("error.html", kind="not_found", status=404)
        return redirect(url_for("console.customer", id=found), 303)

    @bp.get("/customers/view")
    @takes_query("id", "after")
    def customer() -> Any:
        need("consents:read")
        customer_id = _customer_id(request.args.get("id"), "id")
        after = request.args.get("after", "0")
        if not after.isdigit() or len(after) > 18:
            raise BadValues(["after"])
        backend, tenant = g.console_backend, person().tenant
        state = backend.customer(tenant, customer_id)
        history = backend.customer_history(tenant, customer_id, int(after))
        timeline = [{**event, "fields": event_fields(event["data"])} for event in history]
        return page(
            "customer.html",
            customer=state,
            timeline=timeline,
            after=int(after),
            next_after=history[-1]["position"] if len(history) >= 100 else None,
            may_erase=has("customers:erase") and not state["erased"],
        )

    @bp.post("/customers/erase")
    @takes_query()
    def erase() -> Any:
        need("customers:erase")
        allow_fields("csrf_token", "customer_id", "confirmation", "reason")
        customer_id = _customer_id(request.form.get("customer_id"), "customer_id")
        reason = request.form.get("reason", "").strip()
        if len(reason) > MAX_REASON:
            raise BadValues(["reason"])
        backend, tenant = g.console_backend, person().tenant
        backend.customer(tenant, customer_id)  # not found before anything else
        if request.form.get("confirmation", "") != customer_id:
            return page("error.html", kind="erase_mismatch", customer_id=customer_id, status=422)
        with acting():
            backend.erase(tenant, customer_id, reason or None)
        flash("customer.erased")
        return redirect(url_for("console.customer", id=customer_id), 303)
