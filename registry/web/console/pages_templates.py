"""Review queue and templates (SPEC §15): pending versions with lint findings and a diff
against the approved version; a template's status, platform status, quality history, stats
and history; review, pause, resume and disable through the API's own use cases."""

from __future__ import annotations

from typing import Any, Final

from flask import Blueprint, flash, g, redirect, request, url_for

from registry.querystrings import takes_query
from registry.web.console.access import READ_TEMPLATES, acting, has, need, person
from registry.web.console.diff import side_by_side
from registry.web.console.pages_customers import event_fields
from registry.web.console.render import BadValues, allow_fields, page

ACTIONS: Final = ("pause", "resume", "disable")
MAX_REASON: Final = 1024


def _approved(template: dict[str, Any]) -> dict[str, Any] | None:
    number = template.get("approved_version")
    if not number:
        return None
    found: dict[str, Any] = template["versions"][number - 1]
    return found


def pending_reviews(templates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every PENDING version, oldest submission first, with its diff and whether the
    person looking may decide it (a reviewer who is not its submitter)."""
    me = person()
    items = []
    for template in templates:
        approved = _approved(template)
        for version in template["versions"]:
            if version["status"] != "PENDING":
                continue
            own = version.get("submitted_by") == me.actor
            items.append(
                {
                    "template": template,
                    "version": version,
                    "approved": approved,
                    "diff": side_by_side(approved, version),
                    "own": own,
                    "may_review": has("templates:review") and not own,
                }
            )
    items.sort(key=lambda item: str(item["version"].get("submitted_at") or ""))
    return items


def _reason() -> str | None:
    reason = request.form.get("reason", "").strip()
    if len(reason) > MAX_REASON:
        raise BadValues([f"reason (at most {MAX_REASON} characters)"])
    return reason or None


def register_template_pages(bp: Blueprint) -> None:
    @bp.get("/queue")
    @takes_query()
    def queue() -> Any:
        need(*READ_TEMPLATES)
        templates = g.console_backend.templates(person().tenant)
        return page("queue.html", items=pending_reviews(templates))

    @bp.get("/templates")
    @takes_query()
    def templates() -> Any:
        need(*READ_TEMPLATES)
        return page("templates.html", templates=g.console_backend.templates(person().tenant))

    @bp.get("/templates/<name>/<language>")
    @takes_query("after")
    def template(name: str, language: str) -> Any:
        need(*READ_TEMPLATES)
        backend, tenant = g.console_backend, person().tenant
        state = backend.template(tenant, name, language)
        after = _after()
        events = list(backend.template_events(tenant, name, language))
        quality = [e for e in events if e["type"] == "Template.QualityChanged"]
        platform = [e for e in events if e["type"] == "Template.PlatformStatusChanged"]
        history = backend.template_history(tenant, name, language, after)
        return page(
            "template.html",
            template=state,
            quality_history=quality,
            platform_history=platform,
            stats=backend.template_stats(tenant, name, language),
            history=[{**event, "fields": event_fields(event["data"])} for event in history],
            after=after,
            next_after=history[-1]["position"] if len(history) >= 100 else None,
            may_review=has("templates:review"),
            actions=_actions_for(state["status"]),
        )

    @bp.post("/templates/<name>/<language>/review")
    @takes_query()
    def review(name: str, language: str) -> Any:
        need("templates:review")
        allow_fields("csrf_token", "version", "decision", "reason")
        version, decision = request.form.get("version", ""), request.form.get("decision", "")
        if not version.isdigit() or decision not in ("approve", "reject"):
            raise BadValues(["version", "decision"])
        with acting():
            g.console_backend.change_template(
                person().tenant,
                name,
                language,
                "review",
                version=int(version),
                decision=decision,
                reason=_reason(),
            )
        flash(f"reviewed.{decision}")
        return redirect(url_for("console.queue"), 303)

    @bp.post("/templates/<name>/<language>/<action>")
    @takes_query()
    def template_action(name: str, language: str, action: str) -> Any:
        need("templates:review")
        allow_fields("csrf_token", "reason")
        if action not in ACTIONS:
            return page("error.html", kind="not_found", status=404)
        with acting():
            g.console_backend.change_template(
                person().tenant, name, language, action, reason=_reason()
            )
        flash(f"template.{action}d")
        return redirect(url_for("console.template", name=name, language=language), 303)


def _actions_for(status: str) -> list[str]:
    """The actions that would change something: pause what runs, resume what is paused,
    disable what is not disabled yet."""
    shown = []
    if status not in ("PAUSED", "DISABLED"):
        shown.append("pause")
    if status == "PAUSED":
        shown.append("resume")
    if status != "DISABLED":
        shown.append("disable")
    return shown


def _after() -> int:
    raw = request.args.get("after", "0")
    if not raw.isdigit() or len(raw) > 18:
        raise BadValues(["after"])
    return int(raw)
