"""Audit (SPEC §15): the current signed checkpoint, export downloads (the same stream as
`GET /v1/audit/events`) and the public key, with how to verify offline; and the part-two
pages (limits, experiments, reports), which show only what the registry has built."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from flask import Blueprint, Response, g, request, stream_with_context

from registry.web.console.access import READ_TEMPLATES, need, person
from registry.web.console.render import BadValues, allow_args, page

FORMATS: Final = {
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
CHUNK: Final = 64 * 1024


def _chunks(lines: Iterator[str]) -> Iterator[bytes]:
    pending: list[str] = []
    size = 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def register_audit_pages(bp: Blueprint) -> None:
    @bp.get("/audit")
    def audit() -> Any:
        need("audit:read")
        allow_args()
        return page("audit.html", checkpoint=g.console_backend.checkpoint(person().tenant))

    @bp.get("/audit/export")
    def audit_export() -> Any:
        need("audit:read")
        allow_args("format", "customer_id", "template")
        fmt = request.args.get("format", "jsonl")
        if fmt not in FORMATS:
            raise BadValues(["format"])
        filters = {
            name: request.args[name]
            for name in ("customer_id", "template")
            if request.args.get(name, "").strip()
        }
        tenant = person().tenant
        lines = g.console_backend.export(tenant, filters, fmt)
        content_type, extension = FORMATS[fmt]
        response = Response(stream_with_context(_chunks(lines)), content_type=content_type)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="audit-{tenant}.{extension}"'
        )
        return response

    @bp.get("/audit/public-key.pem")
    def public_key() -> Any:
        need("audit:read")
        allow_args()
        response = Response(g.console_backend.public_key_pem, mimetype="application/x-pem-file")
        response.headers["Content-Disposition"] = 'attachment; filename="audit-public-key.pem"'
        return response

    @bp.get("/limits")
    def limits() -> Any:
        need("policy:read")
        allow_args()
        return page("limits.html", limits=g.console_backend.limits(person().tenant))

    @bp.get("/experiments")
    def experiments() -> Any:
        need(*READ_TEMPLATES)
        allow_args()
        return page("not_built.html", feature="experiments", requirement="R-EXPERIMENT")

    @bp.get("/reports")
    def reports() -> Any:
        need("audit:read")
        allow_args()
        return page("not_built.html", feature="reports", requirement="R-REPORT")
