"""R-EXPERIMENT use cases (SPEC §13): define (DRAFT), start (four eyes), stop, conclude,
and read experiments. The view row (kind `experiment`, key = name) is written in the
event's transaction, so a decision can read it in its single read."""

from __future__ import annotations

import json
from typing import Any

from registry.domain.exceptions import InvalidRequest, NotFound
from registry.domain.experiment import Experiment, experiment_aggregate_id
from registry.domain.experiment_results import experiment_results
from registry.domain.feedback import Feedback
from registry.domain.policy import Policy
from registry.domain.vocabulary import normalise_language
from registry.projections.documents import experiment_document
from registry.projections.experiment_sends import arm_tallies
from registry.projections.reader import ViewReader, checked_position
from registry.store.database import Database
from registry.store.writer import EventWriter

KIND = "experiment"
DEFINITION_FIELDS = (
    "channel",
    "purpose",
    "arms",
    "control_weight",
    "metric",
    "min_sample_per_arm",
    "guardrails",
)


class ExperimentService:
    def __init__(self, writer: EventWriter, views: ViewReader, db: Database) -> None:
        self.writer = writer
        self.views = views
        self.db = db

    def create(self, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new DRAFT (or a DRAFT redefined); 409 once the experiment has started."""
        name = body["name"]
        definition = self._checked_definition(tenant, body)
        created: list[bool] = []

        def create() -> Experiment:
            created.append(True)
            return Experiment.create(tenant, name, definition)

        def command(experiment: Experiment) -> None:
            if not created:
                experiment.revise(definition)

        return self.writer.write(
            tenant,
            experiment_aggregate_id(tenant, name),
            create,
            command,
            result=answered,
        )

    def change(self, tenant: str, name: str, action: str, **kwargs: Any) -> dict[str, Any]:
        """start | stop | conclude."""

        def command(experiment: Experiment) -> None:
            getattr(experiment, action)(**kwargs)

        try:
            return self.writer.write(
                tenant,
                experiment_aggregate_id(tenant, name),
                None,
                command,
                result=answered,
            )
        except NotFound:
            raise NotFound(f"experiment {name} not found") from None

    def experiment(self, tenant: str, name: str, min_position: int | None = None) -> dict[str, Any]:
        """The definition, status and results (SPEC §13). The tallies are read first, so
        the views (and `position`) read after them reflect at least what they counted."""
        with self.db.transaction() as sql:
            tallies = arm_tallies(sql, tenant, name)
        docs, position = self.views.read(tenant, [(KIND, name), ("tenant", "")], min_position)
        doc = docs.get((KIND, name))
        if doc is None:
            raise NotFound(f"experiment {name} not found")
        results = experiment_results(
            doc,
            doc.get("stopped_arms", {}),
            tallies,
            _min_delivered(tenant, docs.get(("tenant", ""))),
        )
        return {**public(doc), **results, "position": position}

    def list(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        with self.db.transaction() as sql:
            position = self.db.max_position(sql)
            rows = sql.query(
                "SELECT doc FROM registry_views WHERE tenant = ? AND kind = ? ORDER BY key",
                [tenant, KIND],
            )
        checked_position(position, min_position)
        return {"experiments": [public(json.loads(doc)) for (doc,) in rows], "position": position}

    def _checked_definition(self, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
        arms = [
            {
                "name": arm["name"],
                "template": {
                    "name": arm["template"]["name"],
                    "language": normalise_language(arm["template"]["language"]),
                },
                "weight": arm["weight"],
            }
            for arm in body["arms"]
        ]
        errors: dict[str, list[str]] = {}
        names = [arm["name"] for arm in arms]
        if len(set(names)) != len(names) or "control" in names:
            errors["arms"] = ["arm names are distinct and none is 'control'"]
        total = sum(arm["weight"] for arm in arms) + body["control_weight"]
        if total != 100:
            errors["control_weight"] = [
                f"the arms' weights and control_weight sum to {total}, not 100"
            ]
        keys = [("template", f"{a['template']['name']}/{a['template']['language']}") for a in arms]
        docs, _ = self.views.read(tenant, keys)
        for index, (arm, key) in enumerate(zip(arms, keys, strict=True)):
            problem = _misfit(docs.get(key), body["purpose"], body["channel"])
            if problem is not None:
                errors[f"arms.{index}.template"] = [
                    f"arm {arm['name']}: template {key[1]} {problem}"
                ]
        if errors:
            first = next(iter(errors.values()))[0]
            raise InvalidRequest(first, **errors)
        definition = {field: body[field] for field in DEFINITION_FIELDS if field != "arms"}
        definition["arms"] = arms
        definition["guardrails"] = {k: str(v) for k, v in body["guardrails"].items()}
        return definition


def _min_delivered(tenant: str, tenant_doc: dict[str, Any] | None) -> int:
    """The policy's `feedback.min_delivered` (guardrails are judged past it)."""
    if tenant_doc is None or tenant_doc.get("policy") is None:
        return Feedback().min_delivered
    return Policy.from_document(tenant_doc["policy"], tenant=tenant).feedback.min_delivered


def _misfit(template: dict[str, Any] | None, purpose: str, channel: str) -> str | None:
    if template is None:
        return "does not exist"
    if template["purpose"] != purpose:
        return f"has purpose {template['purpose']}, not the experiment's {purpose}"
    if channel == "sms" and not template.get("sms_deliverable", True):
        return "cannot be delivered by sms (buttons or a media header)"
    return None


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The view document as the API answers it: guardrail rates (decimal text in events)
    as numbers."""
    guardrails = {k: float(v) for k, v in doc["guardrails"].items()}
    return {**doc, "guardrails": guardrails}


def answered(experiment: Experiment) -> dict[str, Any]:
    return public(experiment_document(experiment))
