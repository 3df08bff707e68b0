"""Decisions naming `experiment` instead of `template` (SPEC §13): each such request is
resolved to its arm's template before the ordinary decision, and its answer then names
`experiment`, `arm` and `template`. The experiment's document comes from the decision's
own read (registry/usecases/decisions.py reads it with the customer's and the arms'
templates in one statement)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.domain.reasons import TEMPLATE_NOT_FOUND, in_order
from registry.domain.rules.experiment import ArmChoice, choose_arm

Docs = dict[tuple[str, str], dict[str, Any]]


def names(requests: Sequence[dict[str, Any]]) -> list[str]:
    """The experiments the requests name, each once."""
    return sorted({r["experiment"] for r in requests if r.get("experiment") is not None})


def arm_refs(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The templates (`{name, language}`) an experiment's arms may resolve to."""
    return [arm["template"] for arm in doc["arms"]]


def resolve_in(
    docs: Docs, tenant: str, requests: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], ArmChoice | None]]:
    """Each request with the template it is decided on, and its arm (None: no experiment),
    by the `("experiment", name)` documents of `docs`. An unknown experiment keeps no
    template (answered `template_not_found`)."""
    resolved: list[tuple[dict[str, Any], ArmChoice | None]] = []
    for request in requests:
        name = request.get("experiment")
        if name is None:
            resolved.append((request, None))
            continue
        doc = docs.get(("experiment", name))
        if doc is None:
            resolved.append((request, ArmChoice("", {}, TEMPLATE_NOT_FOUND)))
            continue
        choice = choose_arm(tenant, doc, request["customer_id"])
        resolved.append(({**request, "template": choice.template}, choice))
    return resolved


def answered(
    body: dict[str, Any], request: dict[str, Any], choice: ArmChoice | None
) -> dict[str, Any]:
    """The decision's answer with the experiment's figures and refusal."""
    if choice is None:
        return body
    if choice.reason == TEMPLATE_NOT_FOUND:
        return {
            **body,
            "allowed": False,
            "reasons": [TEMPLATE_NOT_FOUND],
            "template_version": None,
            "next_allowed_at": None,
            "experiment": request["experiment"],
            "arm": None,
            "template": None,
        }
    template = None
    if choice.reason is not None:
        body = {
            **body,
            "allowed": False,
            "reasons": in_order([*body["reasons"], choice.reason]),
            "template_version": None,
            "next_allowed_at": None,
        }
    else:
        template = {**choice.template, "version": body["template_version"]}
    return {**body, "experiment": request["experiment"], "arm": choice.arm, "template": template}
