"""Domain exceptions; the API turns each into one HTTP error in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class VersionNotPending(Conflict):
    code = "version_not_pending"


class CustomerErased(Conflict):
    code = "customer_erased"


class TemplateStateConflict(Conflict):
    code = "template_state_conflict"


class FourEyesViolation(DomainError):
    code = "four_eyes"


class InvalidRequest(DomainError):
    """Well-formed but semantically invalid (a 422): details name each bad field."""

    code = "validation_error"
