"""Audit (SPEC §15): the current signed checkpoint, export downloads (the same stream as
`GET /v1/audit/events`) and the public key, with how to verify offline; and the part-two
pages (limits, experiments, reports), which show only what the registry has built."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from flask import Blueprint, Response, g, request, stream_with_context

from registry.querystrings import takes_query
from registry.web.console.access import READ_TEMPLATES, need, person
from registry.web.console.render import BadValues, page

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
    @takes_query()
    def audit() -> Any:
        need("audit:read")
        return page("audit.html", checkpoint=g.console_backend.checkpoint(person().tenant))

    @bp.get("/audit/export")
    @takes_query("format", "customer_id", "template")
    def audit_export() -> Any:
        need("audit:read")
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
    @takes_query()
    def public_key() -> Any:
        need("audit:read")
        response = Response(g.console_backend.public_key_pem, mimetype="application/x-pem-file")
        response.headers["Content-Disposition"] = 'attachment; filename="audit-public-key.pem"'
        return response

    @bp.get("/limits")
    @takes_query()
    def limits() -> Any:
        need("policy:read")
        return page("limits.html", limits=g.console_backend.limits(person().tenant))

    @bp.get("/experiments")
    @takes_query()
    def experiments() -> Any:
        need(*READ_TEMPLATES)
        return page("not_built.html", feature="experiments", requirement="R-EXPERIMENT")
