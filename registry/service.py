"""The registry application: every use case on one persistence core."""

from __future__ import annotations

from registry.usecases.audit import AuditUseCases
from registry.usecases.imports import ImportUseCases
from registry.usecases.webhooks import WebhookUseCases


class Registry(
    ImportUseCases,
    WebhookUseCases,
    AuditUseCases,
):
    pass
