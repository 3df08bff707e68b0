"""Policy (SPEC §15): the form, and every past version with who changed it and when."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from registry.domain.exceptions import InvalidRequest
from registry.domain.policy import Policy
from registry.querystrings import takes_query
from registry.usecases.policy import answered
from registry.web.console.access import acting, has, need, person
from registry.web.console.policy_form import (
    DAYS,
    EXTRA_PREFIX,
    FORM_FIELDS,
    ExtraNotJson,
    changes,
    form_values,
    policy_document,
    submitted_values,
)
from registry.web.console.render import UnknownParameters, page


def policy_versions(tenant: str, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first: version number, moment, actor, request id and what changed (the
    first version against the defaults every tenant starts with)."""
    previous: dict[str, Any] = answered(Policy.default(tenant))
    shown = []
    for version in versions:
        current = version["policy"]
        shown.append(
            {
                "version": version["version"],
                "occurred_at": version["replaced_at"],
                "actor": version["actor"],
                "request_id": version.get("request_id"),
                "position": version["position"],
                "changes": changes(previous, current),
            }
        )
        previous = current
    return list(reversed(shown))


def register_policy_pages(bp: Blueprint) -> None:
    def show(values: dict[str, Any], *, errors: dict[str, Any] | None, status: int) -> Any:
        backend, tenant = g.console_backend, person().tenant
        current = backend.policy(tenant)
        return page(
            "policy.html",
            policy=current,
            values=values,
            days=DAYS,
            errors=errors or {},
            may_edit=has("policy:write"),
            versions=policy_versions(tenant, backend.policy_history(tenant)),
            status=status,
        )

    @bp.get("/policy")
    @takes_query()
    def policy() -> Any:
        need("policy:read")
        current = g.console_backend.policy(person().tenant)
        return show(form_values(current), errors=None, status=200)

    @bp.post("/policy")
    @takes_query()
    def replace_policy() -> Any:
        need("policy:read")  # the form shows the current policy
        need("policy:write")
        unknown = sorted(
            k for k in request.form if k not in FORM_FIELDS and not k.startswith(EXTRA_PREFIX)
        )
        if unknown:
            raise UnknownParameters(unknown)
        days = request.form.getlist("send_days")
        values = submitted_values(request.form, days)
        try:
            document = policy_document(request.form, days)
        except ExtraNotJson as error:
            return show(values, errors={error.field: ["not JSON"]}, status=422)
        try:
            with acting():
                g.console_backend.replace_policy(person().tenant, document)
        except InvalidRequest as error:
            return show(values, errors=error.details, status=422)
        flash("policy.saved")
        return redirect(url_for("console.policy"), 303)
