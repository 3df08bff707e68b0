"""`GET /docs`: the OpenAPI description rendered as a page. The operations table is
rendered on the server from the same spec, so it works offline and without
JavaScript; Swagger UI is added on top when its CDN is reachable."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Flask, Response
from flask_smorest import Api

METHODS = ("get", "post", "put", "patch", "delete")


def _rows(spec: dict[str, Any]) -> str:
    rows = []
    for path, item in sorted(spec.get("paths", {}).items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            summary = operation.get("summary") or operation.get("description") or ""
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(summary.splitlines()[0] if summary else '')}</td></tr>"
            )
    return "\n".join(rows)


def register_docs(app: Flask, api: Api) -> None:
    @app.get("/docs")
    def docs() -> Response:
        spec = api.spec.to_dict()
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(spec["info"]["title"])} — API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}}
table{{border-collapse:collapse}}td{{padding:.3rem .8rem;border-bottom:1px solid #ddd}}</style>
</head><body><h1>{escape(spec["info"]["title"])} {escape(spec["info"]["version"])}</h1>
<p>Machine-readable description: <a href="/openapi.json">/openapi.json</a>.
Every <code>/v1</code> call needs <code>Authorization: Bearer &lt;JWT&gt;</code>.</p>
<div id="ui"><table><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead>
<tbody>{_rows(spec)}</tbody></table></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>if (window.SwaggerUIBundle) SwaggerUIBundle({{url: "/openapi.json", dom_id: "#ui"}});</script>
</body></html>"""
        return Response(page, mimetype="text/html")
