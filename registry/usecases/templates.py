"""R-TEMPLATE use cases: submit with lint, four-eyes review, pause/resume/disable,
and the platform's reports about a template."""

from __future__ import annotations

from typing import Any

from registry.domain.exceptions import NotFound
from registry.domain.lint import lint_template
from registry.domain.template import Template, template_aggregate_id
from registry.domain.vocabulary import normalise_language
from registry.projections.reader import ViewReader, checked_position
from registry.store.writer import EventWriter
from registry.usecases.policy import PolicyService

PUBLIC_VERSION_FIELDS = ("version", "status", "lint", "submitted_by", "submitted_at", "review")


class TemplateService:
    """Owns templates: submission with lint, four-eyes review, pause/resume/disable, and
    their reads and history (the platform's reports arrive through WebhookService)."""

    def __init__(self, writer: EventWriter, views: ViewReader, policies: PolicyService) -> None:
        self.writer = writer
        self.views = views
        self.policies = policies

    def submit_template(self, tenant: str, submission: dict[str, Any]) -> dict[str, Any]:
        name = submission["name"]
        language = normalise_language(submission["language"])
        docs, _ = self.views.read(tenant, [("tenant", "")])
        policy, _ = self.policies.policy_of(tenant, docs.get(("tenant", "")))
        findings = [f.to_document() for f in lint_template(submission, max_emoji=policy.max_emoji)]
        versions: list[int] = []

        def command(template: Template) -> None:
            versions.append(
                template.submit(
                    category=submission["category"],
                    purpose=submission["purpose"],
                    components=submission["components"],
                    parameter_format=submission.get("parameter_format"),
                    lint=findings,
                )
            )

        return self.writer.write(
            tenant,
            template_aggregate_id(tenant, name, language),
            lambda: Template.register(tenant, name, language),
            command,
            result=lambda t: {
                "name": name,
                "language": language,
                "version": versions[-1],
                "status": t.versions[-1]["status"],
                "lint": findings,
            },
        )

    def change_template(
        self, tenant: str, name: str, language: str, action: str, **kwargs: Any
    ) -> dict[str, Any]:
        """review | pause | resume | disable, by a reviewer."""
        language = normalise_language(language)

        def command(template: Template) -> None:
            getattr(template, action)(**kwargs)

        try:
            self.writer.write(tenant, template_aggregate_id(tenant, name, language), None, command)
        except NotFound as error:
            if "version" in error.message:
                raise
            raise NotFound(f"template {name}/{language} not found") from None
        return self.template(tenant, name, language)

    def template_doc(
        self, tenant: str, name: str, language: str, min_position: int | None = None
    ) -> tuple[dict[str, Any], int]:
        key = f"{name}/{normalise_language(language)}"
        docs, position = self.views.read(tenant, [("template", key)], min_position)
        doc = docs.get(("template", key))
        if doc is None:
            raise NotFound(f"template {key} not found")
        return doc, position

    def template(
        self, tenant: str, name: str, language: str, min_position: int | None = None
    ) -> dict[str, Any]:
        doc, position = self.template_doc(tenant, name, language, min_position)
        return {**public_template(doc), "position": position}

    def templates(
        self, tenant: str, *, status: str | None = None, min_position: int | None = None
    ) -> dict[str, Any]:
        """Every template of the tenant, or those whose status is `status`."""
        docs, position = self.views.all_of(tenant, "template")
        checked_position(position, min_position)
        chosen = [d for d in docs if status is None or d["status"] == status]
        return {"templates": [public_template(d) for d in chosen], "position": position}

    def template_history(
        self,
        tenant: str,
        name: str,
        language: str,
        *,
        limit: int,
        after_position: int,
        min_position: int | None = None,
    ) -> dict[str, Any]:
        doc, position = self.template_doc(tenant, name, language, min_position)
        events = self.views.history(doc["aggregate_id"], after_position=after_position, limit=limit)
        return {"events": events, "position": position}


def public_template(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "language": doc["language"],
        "category": doc["category"],
        "purpose": doc["purpose"],
        "status": doc["status"],
        "approved_version": doc["approved_version"],
        "platform_status": doc["platform_status"],
        "quality": doc["quality"],
        "pilot": doc.get("pilot"),  # SPEC §13 (registry.domain.rules.pilot)
        "versions": [
            {
                **{k: v.get(k) for k in PUBLIC_VERSION_FIELDS},
                "category": v["category"],
                "purpose": v["purpose"],
                "components": v["components"],
            }
            for v in doc["versions"]
        ],
    }
