"""Decisions naming `experiment` instead of `template` (SPEC §13): each such request is
resolved to its arm's template before the ordinary decision, and its answer then names
`experiment`, `arm` and `template`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from registry.domain.reasons import TEMPLATE_NOT_FOUND, in_order
from registry.domain.rules.experiment import ArmChoice, choose_arm

Read = Callable[[str, list[tuple[str, str]]], tuple[dict[tuple[str, str], Any], int]]


def resolve(
    read: Read, tenant: str, requests: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], ArmChoice | None]]:
    """Each request with the template it is decided on, and its arm (None: no experiment).
    An unknown experiment keeps no template (answered `template_not_found`)."""
    names = sorted({r["experiment"] for r in requests if r.get("experiment") is not None})
    if not names:
        return [(request, None) for request in requests]
    docs, _ = read(tenant, [("experiment", name) for name in names])
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
