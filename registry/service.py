"""The registry application: every use case on one persistence core."""

from __future__ import annotations

from registry.usecases.audit import AuditUseCases


class Registry(
    AuditUseCases,
):
    pass
