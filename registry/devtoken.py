"""Prints a development token for `make run` (all scopes, tenant `demo`, 30 days)."""

from __future__ import annotations

import os
import sys
import time

import jwt

ALL_SCOPES = (
    "consents:write consents:read decisions templates:write templates:review "
    "policy:read policy:write audit:read customers:erase"
)


def make_token(
    secret: str,
    *,
    sub: str = "dev",
    tenant: str = "demo",
    scope: str = ALL_SCOPES,
    ttl_seconds: int = 30 * 86400,
) -> str:
    claims = {"sub": sub, "tenant": tenant, "scope": scope, "exp": int(time.time()) + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def main() -> int:
    secret = os.environ.get("REGISTRY_JWT_SECRET")
    if not secret:
        print(
            "registry: REGISTRY_JWT_SECRET is required (make token and make run set it from "
            "var/jwt_secret)",
            file=sys.stderr,
        )
        return 2
    token = make_token(secret)
    if "--bare" in sys.argv:
        print(token)
        return 0
    print("Development token (tenant demo, every scope, valid 30 days):\n")
    print(f"  export TOKEN={token}\n")
    print("A second reviewer for four-eyes review: make token is the same user; see README.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
