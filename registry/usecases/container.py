"""The services container: one service per area, built once by `registry.bootstrap`.

The API reaches a service as `services().consents` (registry/api/common.py). A service
is a plain class whose constructor names what it uses, taken from `Parts`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.clock import Clock
from registry.keys import KeyRing
from registry.personal_data import PersonalDataKeys
from registry.projections.reader import ViewReader
from registry.store.database import Database
from registry.store.writer import EventWriter
from registry.usecases.confirmations import ConfirmationService
from registry.usecases.consent_records import ConsentRecordService
from registry.usecases.feed import ChangeFeed
from registry.usecases.outcomes import OutcomeService

if TYPE_CHECKING:
    from registry.store.idempotency import IdempotencyRecords
    from registry.usecases.audit import AuditService
    from registry.usecases.consents import ConsentService
    from registry.usecases.decisions import DecisionService
    from registry.usecases.experiments import ExperimentService
    from registry.usecases.imports import ImportService
    from registry.usecases.policy import PolicyService
    from registry.usecases.reports import ReportService
    from registry.usecases.templates import TemplateService
    from registry.usecases.tokens import TokenService
    from registry.usecases.webhooks import WebhookService


@dataclass(frozen=True, slots=True)
class Parts:
    """What a service may take in its constructor (bootstrap builds each once)."""

    writer: EventWriter  # every event write: write / write_stored / write_set / get / seen
    views: ViewReader  # view documents: read(tenant, keys, min_position)
    keys: PersonalDataKeys  # per-customer data keys: sealer / opener / data_key(s)
    db: Database  # an area's own tables: db.transaction() / db.single_statement()
    keyring: KeyRing
    clock: Clock
    public_url: str
    origin_host: str


@dataclass(frozen=True, slots=True)
class Services:
    """Every area's service. A new area adds one field here and builds it in
    `registry.bootstrap.build_services`."""

    parts: Parts
    consents: ConsentService  # grants, opt-outs, profile, inbound, suppression, erasure, reads
    imports: ImportService  # bulk import of grants
    decisions: DecisionService  # decide, decide_batch, authorize, check_moment
    templates: TemplateService  # submit, review/pause/resume/disable, reads
    policies: PolicyService  # policy, replace_policy, policy_history, policy_of
    audit: AuditService  # checkpoint, proofs, export, replay
    webhooks: WebhookService  # WhatsApp settings, webhook ingestion, unprocessed items
    idempotency: IdempotencyRecords  # idempotent_answer, remember_answer
    feed: ChangeFeed  # GET /v1/changes: pages of changes and the long poll (R-FEED)
    confirmations: ConfirmationService  # double opt-in: the link page's reads and confirm
    reports: ReportService  # the signed monthly review (R-REPORT)
    tokens: TokenService  # token revocation: revoke, is_revoked (read on every request)
    consent_records: ConsentRecordService  # GET /v1/consents/{receipt_id}: signed records
    outcomes: OutcomeService  # outcomes, message refs, stats, limits (R-OUTCOME, R-THROTTLE)
    experiments: ExperimentService  # A/B tests (R-EXPERIMENT): create/start/stop/conclude
