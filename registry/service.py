"""The registry application: every use case on one persistence core."""

from __future__ import annotations

from registry.usecases.audit import AuditUseCases
from registry.usecases.webhooks import WebhookUseCases


class Registry(
    WebhookUseCases,
    AuditUseCases,
):
    pass
