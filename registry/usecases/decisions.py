"""R-DECIDE use cases: single and batch decisions (no side effects) and
authorizations (recorded, counted against the daily limit atomically, with a
signed receipt)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from registry.clock import Clock
from registry.domain.customer import Customer, customer_aggregate_id
from registry.domain.decision import (
    ChannelLimit,
    CustomerFacts,
    Decision,
    DecisionFrame,
    TemplateFacts,
    decide_all,
)
from registry.domain.exceptions import InvalidRequest, NotFound
from registry.domain.limits import window_first_minute
from registry.domain.policy import Policy
from registry.domain.reasons import PILOT_IN_PROGRESS
from registry.domain.rules.experiment import ArmChoice
from registry.domain.vocabulary import DEFAULT_CHANNEL, NON_TRANSACTIONAL, normalise_language
from registry.idempotency import current_idempotent_request
from registry.projections.documents import customer_document, customer_facts, template_facts
from registry.projections.reader import ViewReader, answer_revocation_probe
from registry.projections.sends import limit_guard
from registry.store.unit_of_work import WriteSet
from registry.store.writer import EventWriter
from registry.timefmt import iso
from registry.usecases import experiment_decisions
from registry.usecases.authorizing import customer_from_view
from registry.usecases.limits import LimitService, channel_limit, limit_keys
from registry.usecases.pilots import PilotArms, PilotJudge, joined_rows, pilot_facts, pilot_keys
from registry.usecases.policy import PolicyService
from registry.usecases.receipts import Receipts, template_key


def decision_body(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "reasons": decision.reasons,
        "template_version": decision.template_version,
        "next_allowed_at": iso(decision.next_allowed_at),
    }


MAX_EXPERIMENT_READS = 3  # an experiment's arms guessed, then read, then read once more
MAX_KEPT_EXPERIMENTS = 10_000
Resolved = tuple[dict[str, Any], ArmChoice | None]
FrameKey = tuple[tuple[str, str] | None, str, datetime, ChannelLimit | None]


class DocumentFacts:
    """The decision facts of one read's documents, each parsed once however many
    requests of a batch ask about the same customer or template; and the decision frames
    (`DecisionFrame`: what depends only on template, channel, moment and limit), each
    built once for every item that shares them."""

    def __init__(self, docs: dict[tuple[str, str], dict[str, Any]], window_from: int = 0) -> None:
        self.docs = docs
        self.window_from = window_from  # the messaging window's first minute, as read
        self.policy: tuple[Policy, int] | None = None  # (policy, version), once resolved
        self.limits: dict[str, ChannelLimit] = {}
        self._customers: dict[str, CustomerFacts | None] = {}
        self._templates: dict[tuple[str, str], tuple[str, TemplateFacts | None]] = {}
        self.frames: dict[FrameKey, DecisionFrame] = {}

    def customer(self, customer_id: str) -> CustomerFacts | None:
        if customer_id not in self._customers:
            self._customers[customer_id] = customer_facts(self.docs.get(("customer", customer_id)))
        return self._customers[customer_id]

    def template(self, ref: dict[str, Any]) -> tuple[str, TemplateFacts | None]:
        """The template's view key and facts (None when there is no such template)."""
        raw = (ref["name"], ref["language"])
        if raw not in self._templates:
            key = template_key(ref)
            assert key is not None
            self._templates[raw] = (key, template_facts(self.docs.get(("template", key))))
        return self._templates[raw]


class DecisionService:
    """Owns decisions (no side effects; the rules are `registry.domain.decision.decide`)
    and authorizations (recorded on the customer through the writer, counted against the
    daily limit atomically, with a signed receipt)."""

    def __init__(
        self,
        views: ViewReader,
        policies: PolicyService,
        writer: EventWriter,
        receipts: Receipts,
        limits: LimitService,
        clock: Clock,
        pilots: PilotJudge | None = None,
    ) -> None:
        self.views = views
        self.policies = policies
        self.writer = writer
        self.receipts = receipts
        self.limits = limits  # when a messaging limit frees up (R-THROTTLE)
        self.clock = clock
        self.pilots = pilots  # a pilot judged when it holds an authorization back (SPEC §13)
        # (tenant, experiment) -> its arms' template keys, as last read: read beside it.
        self._arm_keys: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
        self.pilot_arms = PilotArms()

    def _decide_with(
        self, tenant: str, request: dict[str, Any], facts: DocumentFacts, at: datetime
    ) -> tuple[Decision, int]:
        if facts.policy is None:
            facts.policy = self.policies.policy_of(tenant, facts.docs.get(("tenant", "")))
        policy, policy_version = facts.policy
        ref = request.get("template")
        channel = request.get("channel") or DEFAULT_CHANNEL
        if ref is not None and channel not in facts.limits:
            facts.limits[channel] = channel_limit(facts.docs, channel, policy, facts.window_from)
        customer_id = request["customer_id"]
        customer = facts.customer(customer_id)
        pilot = (
            None if ref is None else pilot_facts(facts.docs, facts.template(ref)[0], customer_id)
        )
        [decision] = decide_all(self._frame(facts, ref, channel, at), [customer], [pilot])
        if "messaging_limit_reached" in decision.reasons and facts.limits[channel].frees_at is None:
            limit = self.limits.frees_at(tenant, channel, facts.limits[channel], facts.window_from)
            facts.limits[channel] = limit
            [decision] = decide_all(self._frame(facts, ref, channel, at), [customer], [pilot])
        return decision, policy_version

    @staticmethod
    def _frame(
        facts: DocumentFacts, ref: dict[str, Any] | None, channel: str, at: datetime
    ) -> DecisionFrame:
        """The frame of the items asking about `ref` on `channel` at `at`, under the
        channel's limit as known now."""
        limit = facts.limits.get(channel)
        key: FrameKey = (
            None if ref is None else (ref["name"], ref["language"]),
            channel,
            at,
            limit,
        )
        frame = facts.frames.get(key)
        if frame is None:
            assert facts.policy is not None
            frame = DecisionFrame(
                template=None if ref is None else facts.template(ref)[1],
                template_requested=ref is not None,
                channel=channel,
                policy=facts.policy[0],
                at=at,
                channel_limit=limit,
            )
            facts.frames[key] = frame
        return frame

    @staticmethod
    def _keys(requests: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
        keys: set[tuple[str, str]] = {("tenant", "")}
        templates: set[tuple[str, str]] = set()
        for request in requests:
            keys.add(("customer", request["customer_id"]))
            ref = request.get("template")
            if ref is not None or request.get("experiment") is not None:
                keys.update(limit_keys(request.get("channel") or DEFAULT_CHANNEL))
            if ref is not None and (ref["name"], ref["language"]) not in templates:
                templates.add((ref["name"], ref["language"]))
                keys.add(("template", str(template_key(ref))))
                keys.update(pilot_keys(str(template_key(ref))))
        return sorted(keys)

    def _read(
        self, tenant: str, keys: list[tuple[str, str]], min_position: int | None = None
    ) -> tuple[DocumentFacts, int]:
        """The decision's single read: its views and the messaging windows it needs."""
        first = window_first_minute(self.clock.now())
        asked = self.pilot_arms.keys_for(tenant, keys)
        docs, position = self.views.read(tenant, asked, min_position, window_from=first)
        if self.pilot_arms.read_again(tenant, docs, len(asked), len(keys)):
            docs, position = self.views.read(tenant, keys, min_position, window_from=first)
        return DocumentFacts(docs, first), position

    def _read_resolved(
        self, tenant: str, requests: Sequence[dict[str, Any]], min_position: int | None = None
    ) -> tuple[list[Resolved], DocumentFacts, int]:
        """The decision's single read, experiments included: each experiment's document is
        read in the same statement as the customers', templates' and tenant's, with the
        templates its arms named when it was last read (kept per experiment); only an
        experiment not read before, or whose arms changed, takes a second read."""
        experiments = experiment_decisions.names(requests)
        keys = set(self._keys(requests))
        for name in experiments:
            keys.add(("experiment", name))
            keys.update(self._arm_keys.get((tenant, name), ()))
        for _ in range(MAX_EXPERIMENT_READS):
            facts, position = self._read(tenant, sorted(keys), min_position)
            missing: set[tuple[str, str]] = set()
            for name in experiments:
                doc = facts.docs.get(("experiment", name))
                if doc is not None:
                    arms = self._keep_arm_keys(tenant, name, doc)
                    missing.update(key for key in arms if key not in keys)
            if not missing:
                break
            keys |= missing
        return experiment_decisions.resolve_in(facts.docs, tenant, requests), facts, position

    def _keep_arm_keys(
        self, tenant: str, name: str, doc: dict[str, Any]
    ) -> tuple[tuple[str, str], ...]:
        """The view keys of the arms' templates (and their pilots), kept for next time."""
        arms = tuple(
            key
            for ref in experiment_decisions.arm_refs(doc)
            for key in [("template", str(template_key(ref))), *pilot_keys(str(template_key(ref)))]
        )
        if self._arm_keys.get((tenant, name)) != arms:
            if len(self._arm_keys) >= MAX_KEPT_EXPERIMENTS:
                self._arm_keys.clear()
            self._arm_keys[(tenant, name)] = arms
        return arms

    def decide(self, tenant: str, request: dict[str, Any]) -> dict[str, Any]:
        [(resolved, choice)], facts, position = self._read_resolved(
            tenant, [request], request.get("min_position")
        )
        at = request.get("at") or self.clock.now()
        decision, _ = self._decide_with(tenant, resolved, facts, at)
        body = {**decision_body(decision), "position": position}
        return experiment_decisions.answered(body, resolved, choice)

    def decide_batch(
        self, tenant: str, items: list[dict[str, Any]], min_position: int | None = None
    ) -> dict[str, Any]:
        floor = max([min_position or 0, *[i.get("min_position") or 0 for i in items]])
        resolved, facts, position = self._read_resolved(tenant, items, floor or None)
        now = self.clock.now()
        results = [
            experiment_decisions.answered(
                decision_body(self._decide_with(tenant, item, facts, item.get("at") or now)[0]),
                item,
                choice,
            )
            for item, choice in resolved
        ]
        return {"results": results, "position": position}

    def authorize(self, tenant: str, request: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """`_authorize` on the decision's single read; for a request naming `experiment`,
        its arm's template is authorized (the arm recorded while in test), and a control,
        stopped or unknown experiment records nothing (answered as the decision)."""
        [(resolved, choice)], facts, position = self._read_resolved(tenant, [request])
        answer_revocation_probe(self.views)  # before any write (registry/api/guards.py)
        if choice is not None and choice.reason is not None:
            decision, _ = self._decide_with(tenant, resolved, facts, self.clock.now())
            body = {**decision_body(decision), "position": position}
            return False, experiment_decisions.answered(body, resolved, choice)
        arm = None
        if choice is not None and choice.in_test:
            arm = {"name": request["experiment"], "arm": choice.arm}
        allowed, body = self._authorize(tenant, resolved, facts, position, experiment=arm)
        return allowed, experiment_decisions.answered(body, resolved, choice)

    def _authorize(
        self,
        tenant: str,
        request: dict[str, Any],
        facts: DocumentFacts,
        position: int,
        experiment: dict[str, str] | None = None,
    ) -> tuple[bool, dict[str, Any]]:
        """Decide for now and, when allowed, record the send on the customer; the
        customer's version check makes the daily limit atomic across workers.

        The first attempt decides on the views `facts` read in one statement, with the customer
        restored from its own view (no event-store read); a refusal there records
        nothing, as a decision would. A save that loses the race for the customer's next
        version is retried by `write`, from the event store and on views read again."""
        customer_id = request["customer_id"]
        channel = request.get("channel") or DEFAULT_CHANNEL
        keys = self._keys([request])
        view = facts.docs.get(("customer", customer_id))

        def decide_on(facts: DocumentFacts) -> dict[str, Any]:
            now = self.clock.now()
            decision, policy_version = self._decide_with(tenant, request, facts, now)
            return {
                "decision": decision,
                "policy_version": policy_version,
                "now": now,
                "docs": facts.docs,
                "limit": facts.limits.get(channel),
                "window_from": facts.window_from,
                "pilot": pilot_facts(
                    facts.docs, str(template_key(request["template"])), customer_id
                ),
            }

        outcome = decide_on(facts)
        if self._pilot_settled(tenant, request, outcome["decision"]):
            facts, position = self._read(tenant, keys)
            view = facts.docs.get(("customer", customer_id))
            outcome = decide_on(facts)
        if view is not None and not outcome["decision"].allowed:
            return False, {**decision_body(outcome["decision"]), "position": position}
        restored = None if view is None else customer_from_view(tenant, view)
        authorization_id = "auth_" + uuid.uuid4().hex

        def command(customer: Customer) -> None:
            if customer is not restored:  # a retry, or a customer without a view
                fresh, _ = self._read(tenant, keys)
                fresh.docs[("customer", customer_id)] = customer_document(customer)
                outcome.update(decide_on(fresh))
            decision: Decision = outcome["decision"]
            if decision.allowed:
                assert decision.purpose is not None
                customer.authorize_send(
                    authorization_id=authorization_id,
                    channel=channel,
                    template={
                        **request["template"],
                        "language": normalise_language(request["template"]["language"]),
                        "version": decision.template_version,
                    },
                    purpose=decision.purpose,
                    authorized_at=outcome["now"],
                    message_ref=request.get("message_ref"),
                    experiment=experiment,
                    pilot=decision.pilot,
                )

        def answer(positions: dict[str, int | None]) -> dict[str, Any]:
            decision: Decision = outcome["decision"]
            if not decision.allowed:
                return decision_body(decision)
            return {
                "authorization_id": authorization_id,
                "allowed": True,
                "template_version": decision.template_version,
                "receipt": self.receipts.sign(
                    tenant, request, channel, authorization_id, outcome, positions
                ),
            }

        aggregate_id = customer_aggregate_id(tenant, customer_id)
        positions_after: list[Callable[[], dict[str, int | None]]] = []

        def guard(customer: Customer, write_set: WriteSet) -> None:
            """A limit in force: the transaction fails if the window would go over it;
            a pilot's first send to the customer: if the pilot would go over its size."""
            decision: Decision = outcome["decision"]
            limit: ChannelLimit | None = outcome["limit"]
            if decision.allowed and decision.pilot is not None:
                policy, _ = self.policies.policy_of(tenant, outcome["docs"].get(("tenant", "")))
                write_set.rows += joined_rows(tenant, customer, outcome["pilot"], policy.pilot)
            if (
                decision.allowed
                and decision.purpose in NON_TRANSACTIONAL
                and limit is not None
                and limit.effective is not None
            ):
                write_set.rows.append(
                    limit_guard(tenant, channel, limit.effective, outcome["window_from"])
                )

        def read_positions(customer: Customer, write_set: WriteSet) -> None:
            guard(customer, write_set)
            events = self.receipts.events_named(request, outcome, aggregate_id)
            found = self.receipts.read_in(write_set, list(events.values()))
            positions_after[:] = [lambda: {name: found().get(e) for name, e in events.items()}]

        try:
            if current_idempotent_request() is not None:  # its answer commits with the send
                body = self.writer.write(
                    tenant,
                    aggregate_id,
                    None,
                    command,
                    result=lambda _: answer(
                        self.receipts.positions_now(request, outcome, aggregate_id)
                    ),
                    extras=guard,
                    loaded=restored,
                )
                return bool(body["allowed"]), body
            written = self.writer.write(
                tenant, aggregate_id, None, command, extras=read_positions, loaded=restored
            )
        except NotFound:  # a customer never seen: refused with no_consent, nothing recorded
            return False, {**decision_body(outcome["decision"]), "position": position}
        positions = positions_after[0]() if positions_after else {}
        body = {**answer(positions), "position": written["position"]}
        return bool(body["allowed"]), body

    def _pilot_settled(self, tenant: str, request: dict[str, Any], decision: Decision) -> bool:
        """Whether a pilot holding this authorization back was judged over just now."""
        if self.pilots is None or PILOT_IN_PROGRESS not in decision.reasons:
            return False
        return self.pilots.settle(tenant, str(template_key(request["template"])), self.clock.now())

    def check_moment(self, at: datetime | None, *, max_age_seconds: int) -> None:
        """A live decision's `at` may lie at most `max_age_seconds` in the past."""
        check_moment(at, now=self.clock.now(), max_age_seconds=max_age_seconds)

    def check_moments(self, moments: Sequence[datetime | None], *, max_age_seconds: int) -> None:
        """`check_moment` for each of a batch's `at`, against one reading of the clock; the
        error names the items, as the schema's errors do (`items.1.at`)."""
        now = self.clock.now()
        errors: dict[str, InvalidRequest] = {}
        for index, at in enumerate(moments):
            try:
                check_moment(at, now=now, max_age_seconds=max_age_seconds)
            except InvalidRequest as error:
                errors[str(index)] = error
        if errors:
            first = next(iter(errors.values()))
            raise InvalidRequest(
                first.message, items={index: error.details for index, error in errors.items()}
            )


def check_moment(at: datetime | None, *, now: datetime, max_age_seconds: int) -> None:
    if at is not None and (now - at).total_seconds() > max_age_seconds:
        raise InvalidRequest(
            "at is more than 5 minutes in the past; use POST /v1/audit/replay for the past",
            at=["must not be more than 5 minutes in the past"],
        )
