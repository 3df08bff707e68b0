"""Helpers every resource's views share."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import current_app, g, request

from registry.api.auth import Principal
from registry.api.errors import ApiError
from registry.application import Registry
from registry.crypto import keyed_digest
from registry.domain.base import acting_as
from registry.idempotency import AlreadyAnswered, IdempotentRequest, idempotent
from registry.usecases.container import Services


def services() -> Services:
    """The services container that bootstrap built for this app."""
    return cast(Services, current_app.extensions["services"])


def registry() -> Registry:
    return cast(Registry, current_app.extensions["registry"])


def principal() -> Principal:
    return cast(Principal, g.principal)


def tenant() -> str:
    return principal().tenant


@contextmanager
def acting() -> Iterator[None]:
    with acting_as(principal().actor, g.get("request_id", "")):
        yield


def _request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    return keyed_digest(
        services().parts.keyring.request_hash_key,
        request.method.encode() + b" " + request.path.encode() + b"\n" + canonical,
    )


def idempotently(
    run: Callable[[], tuple[dict[str, Any], int]], *, recorded_status: int = 201
) -> tuple[dict[str, Any], int]:
    """R-IDEMPOTENCY around a write: the first answer to a key is returned again,
    a different body with the same key is a 409, and nothing new is recorded."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        with acting():
            return run()
    if len(key) > 255:
        raise ApiError(
            422,
            "validation_error",
            "Idempotency-Key is too long",
            {"Idempotency-Key": ["at most 255 characters"]},
        )
    idempotency, owner = services().idempotency, tenant()
    request_hash = _request_hash()
    stored = idempotency.idempotent_answer(owner, key)
    if stored is not None:
        stored_hash, status, body = stored
        if stored_hash != request_hash:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )
        return body, status
    req = IdempotentRequest(key=key, request_hash=request_hash, status=recorded_status)
    try:
        with idempotent(req), acting():
            body, status = run()
    except AlreadyAnswered as answered:
        return answered.body, answered.status
    idempotency.remember_answer(owner, req, status, body)
    return body, status
