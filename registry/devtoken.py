"""`python -m registry.devtoken`: a development token (what `make run` and `make token` print).

Defaults: tenant `demo`, every scope, 30 days, sub `dev`. Each token carries a fresh `jti`,
so it can be revoked (`POST /v1/tokens/revoke`). Signed with REGISTRY_JWT_SECRET (HS256);
`--audience`/`--issuer` add the claims a server with REGISTRY_JWT_AUDIENCE/_ISSUER checks."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Sequence

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
    jti: str | None = None,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    claims: dict[str, object] = {
        "sub": sub,
        "tenant": tenant,
        "scope": scope,
        "exp": int(time.time()) + ttl_seconds,
        "jti": jti or uuid.uuid4().hex,
    }
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m registry.devtoken",
        description="Print a development token signed with REGISTRY_JWT_SECRET (HS256).",
    )
    parser.add_argument("--sub", default="dev", help="the acting user (default: dev)")
    parser.add_argument("--tenant", default="demo", help="the tenant (default: demo)")
    parser.add_argument(
        "--scope",
        default=ALL_SCOPES,
        help="space-separated scopes, e.g. 'decisions consents:read' (default: every scope)",
    )
    parser.add_argument("--days", type=float, default=30, help="lifetime in days (default: 30)")
    parser.add_argument("--jti", help="the token id (default: a random one)")
    parser.add_argument("--audience", help="an aud claim (for REGISTRY_JWT_AUDIENCE)")
    parser.add_argument("--issuer", help="an iss claim (for REGISTRY_JWT_ISSUER)")
    parser.add_argument("--bare", action="store_true", help="print the token alone")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    secret = os.environ.get("REGISTRY_JWT_SECRET")
    if not secret:
        print(
            "registry: REGISTRY_JWT_SECRET is required (make token and make run set it from "
            "var/jwt_secret)",
            file=sys.stderr,
        )
        return 2
    if args.days <= 0:
        print("registry: --days must be positive", file=sys.stderr)
        return 2
    token = make_token(
        secret,
        sub=args.sub,
        tenant=args.tenant,
        scope=args.scope,
        ttl_seconds=int(args.days * 86400),
        jti=args.jti,
        audience=args.audience,
        issuer=args.issuer,
    )
    if args.bare:
        print(token)
        return 0
    days = f"{args.days:g} day" + ("" if args.days == 1 else "s")
    scopes = "every scope" if args.scope == ALL_SCOPES else f"scopes {args.scope!r}"
    print(f"Development token (tenant {args.tenant}, sub {args.sub}, {scopes}, valid {days}):\n")
    print(f"  export TOKEN={token}\n")
    print("A second reviewer for four-eyes review: `make token` with another --sub; see README.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
