"""`GET /docs`: the OpenAPI description rendered by Swagger UI, served entirely from this
server (SPEC §18: it renders without network access).

The UI's files come from the `flask-swagger-ui` package, installed with the project (its
`dist/` is Swagger UI's own distribution); the page, its start-up script and every asset
are same-origin, and the Content-Security-Policy forbids any other origin, so a browser
offline or behind a firewall renders the same page. The operations table under the UI is
rendered on the server from the same spec: it is what a browser without JavaScript shows.
"""

from __future__ import annotations

from html import escape
from importlib.resources import as_file, files
from typing import Any

from flask import Flask, Response, abort, send_from_directory
from flask_smorest import Api

METHODS = ("get", "post", "put", "patch", "delete")
UI_PACKAGE = "flask_swagger_ui"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
ASSET_MAX_AGE = 24 * 3600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
START_UI = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null
  });
});
"""


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


def _page(spec: dict[str, Any]) -> str:
    title = escape(spec["info"]["title"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — API</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head><body>
<div id="swagger-ui"><h1>{title} {escape(spec["info"]["version"])}</h1>
<p>Machine-readable description: <a href="/openapi.json">/openapi.json</a>.
Every <code>/v1</code> call needs <code>Authorization: Bearer &lt;JWT&gt;</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead>
<tbody>{_rows(spec)}</tbody></table></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/start.js"></script>
</body></html>"""


def _protected(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register_docs(app: Flask, api: Api) -> None:
    with as_file(files(UI_PACKAGE) / "dist") as dist:
        assets_dir = str(dist)  # a directory of an installed package: a real path

    @app.get("/docs")
    def docs() -> Response:
        return _protected(Response(_page(api.spec.to_dict()), mimetype="text/html"))

    @app.get("/docs/assets/start.js")
    def docs_start() -> Response:
        return _protected(Response(START_UI, mimetype="text/javascript"))

    @app.get("/docs/assets/<name>")
    def docs_asset(name: str) -> Response:
        if name not in ASSETS:
            abort(404)
        response = send_from_directory(assets_dir, name, max_age=ASSET_MAX_AGE)
        return _protected(response)
