"""R-AUTH: strict JWT bearer tokens, scopes, tenant scoping."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from registry.api.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


@dataclass(frozen=True)
class Principal:
    actor: str
    tenant: str
    scopes: frozenset[str]
    token_id: str
    jti: str | None = None  # only a token with a jti can be revoked


def requires(scope: str, *alternatives: str) -> Callable[[F], F]:
    """Marks a view with the scope it needs (or any one of several); checked before the
    body is parsed, and documented in the OpenAPI description (`registry.api.openapi`)."""

    def mark(view: F) -> F:
        view._required_scope = (scope, *alternatives) if alternatives else scope  # type: ignore[attr-defined]
        return view

    return mark


def load_public_keys(path: str | None) -> list[Any]:
    if not path:
        return []
    keys = []
    for block in PEM_BLOCK.findall(Path(path).read_bytes()):
        key = serialization.load_pem_public_key(block)
        if isinstance(key, RSAPublicKey | Ed25519PublicKey):
            keys.append(key)
    return keys


class TokenVerifier:
    """Verifies tokens; a verified token is remembered (keyed by its raw text, the most
    recently used `CACHE_SIZE` of them) until it expires, so the signature and claims are
    checked once per process rather than on every request. Revocation is not cached: the
    guards ask the database for every request (registry/api/guards.py), so a revoked
    token is refused from the next request on whatever this cache holds."""

    CACHE_SIZE = 10_000

    def __init__(
        self,
        secret: str,
        public_keys: list[Any],
        *,
        audience: str | None = None,
        issuer: str | None = None,
    ) -> None:
        self.secret = secret
        self.public_keys = public_keys
        self.audience, self.issuer = audience, issuer
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers share the cache between threads

    def verify(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(
                401,
                "unauthorized",
                "a Bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = authorization[len("Bearer ") :].strip()
        cached = self._verified.get(token)
        if cached is not None:
            if cached[1] > time.time():
                with self._lock:
                    if token in self._verified:
                        self._verified.move_to_end(token)
                return cached[0]
            with self._lock:
                self._verified.pop(token, None)  # expired: verified again, and refused
        principal, expires = self._principal(token)
        with self._lock:
            self._verified[token] = (principal, expires)
            while len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)  # the least recently used
        return principal

    def _principal(self, token: str) -> tuple[Principal, float]:
        claims = self._claims(token)
        sub, tenant, scope = claims.get("sub"), claims.get("tenant"), claims.get("scope", "")
        if not isinstance(sub, str) or not sub or len(sub) > 256:
            raise self._invalid("the token has no valid sub claim")
        if not isinstance(tenant, str) or not TENANT_PATTERN.match(tenant):
            raise self._invalid("the token has no valid tenant claim")
        if not isinstance(scope, str):
            raise self._invalid("the scope claim must be a space-separated string")
        jti = claims.get("jti")
        if jti is not None and (not isinstance(jti, str) or not jti or len(jti) > 256):
            raise self._invalid("the jti claim must be a non-empty string")
        principal = Principal(sub, tenant, frozenset(scope.split()), jti or token[-16:], jti)
        return principal, float(claims["exp"])

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise self._invalid("the token is malformed") from None
        algorithm = header.get("alg")
        required = ["exp"] + (["aud"] if self.audience else []) + (["iss"] if self.issuer else [])
        # aud and iss are checked when configured (REGISTRY_JWT_AUDIENCE / _ISSUER)
        options: Any = {"require": required, "verify_aud": self.audience is not None}
        checks: Any = {"audience": self.audience, "issuer": self.issuer}
        try:
            if algorithm == "HS256":
                return dict(
                    jwt.decode(token, self.secret, algorithms=["HS256"], options=options, **checks)
                )
            if algorithm in ("RS256", "EdDSA"):
                for key in self.public_keys:
                    expected = "RS256" if isinstance(key, RSAPublicKey) else "EdDSA"
                    if expected != algorithm:
                        continue
                    try:
                        return dict(
                            jwt.decode(token, key, algorithms=[expected], options=options, **checks)
                        )
                    except jwt.InvalidSignatureError:
                        continue
                raise self._invalid("the token's signature does not match any configured key")
        except jwt.ExpiredSignatureError:
            raise ApiError(
                401,
                "token_expired",
                "the token has expired",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        except jwt.PyJWTError as error:
            raise self._invalid(f"the token is not valid: {error}") from None
        raise self._invalid(f"the token algorithm {algorithm!r} is not accepted")

    @staticmethod
    def _invalid(message: str) -> ApiError:
        return ApiError(
            401,
            "invalid_token",
            message,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
