"""SPEC §18: `/docs` renders without network access. Swagger UI's files are served by the
registry from an installed package, the page references no other origin, its policy
forbids any, and a real Chromium with every other origin blocked renders the operations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import live_server, phone_page, screenshot_path

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")


@pytest.fixture
def sqlite_app(request: pytest.FixtureRequest, app: Any) -> Any:
    if "postgres" in request.node.callspec.id:
        pytest.skip("the docs page does not depend on the database")
    return app


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


def test_the_docs_page_references_nothing_of_another_origin(sqlite_app: Any) -> None:
    client = sqlite_app.test_client()
    page = client.get("/docs")
    assert page.status_code == 200
    found = references(page.get_data(as_text=True))
    assert "/docs/assets/swagger-ui-bundle.js" in found
    for reference in found:
        parts = urlsplit(reference)
        assert not parts.scheme and not parts.netloc, reference
        assert client.get(reference).status_code == 200, reference


def test_the_docs_page_forbids_every_other_origin(sqlite_app: Any) -> None:
    policy = sqlite_app.test_client().get("/docs").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    for directive in ("script-src", "connect-src"):
        assert directives[directive] == "'self'", directive
    assert "http" not in policy


def test_the_ui_is_the_installed_packages_swagger_ui(sqlite_app: Any) -> None:
    dist = files("flask_swagger_ui") / "dist"
    assert dist.joinpath("VERSION").read_text().startswith("v5.")
    served = sqlite_app.test_client().get("/docs/assets/swagger-ui-bundle.js")
    assert served.get_data() == dist.joinpath("swagger-ui-bundle.js").read_bytes()


def test_only_the_ui_files_are_served_from_the_package(sqlite_app: Any) -> None:
    client = sqlite_app.test_client()
    assert client.get("/docs/assets/LICENSE").status_code == 404
    assert client.get("/docs/assets/..%2F__init__.py").status_code == 404


@pytest.fixture
def base_url(sqlite_app: Any) -> Iterator[str]:
    with live_server(sqlite_app) as url:
        yield url


@pytest.mark.browser
def test_chromium_renders_every_operation_with_other_origins_blocked(
    sqlite_app: Any, base_url: str
) -> None:
    spec = sqlite_app.test_client().get("/openapi.json").get_json()
    operations = sum(
        1
        for item in spec["paths"].values()
        for method in item
        if method in ("get", "post", "put", "patch")
    )
    elsewhere: list[str] = []
    with phone_page(width=1280, height=900, locale="en-US") as page:
        origin = urlsplit(base_url).netloc

        def only_here(route: Any) -> None:
            if urlsplit(route.request.url).netloc == origin:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_here)
        answer = page.goto(f"{base_url}/docs")
        assert answer is not None and answer.status == 200
        page.locator(".opblock").first.wait_for(timeout=30_000)
        assert page.locator(".opblock").count() == operations
        assert page.locator(".info .title").inner_text().startswith(spec["info"]["title"])
        page.screenshot(path=screenshot_path("docs_offline.png"))
    assert elsewhere == []
