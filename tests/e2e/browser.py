"""Real-browser helpers: Debian's Chromium driven by Playwright, at phone size.

Playwright's own browser download is not used (CI cannot reach it); the distribution's
Chromium is (`apt-get install -y chromium`). Tests using these helpers are marked
`@pytest.mark.browser` and skip, saying why, where Chromium is missing.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("REGISTRY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def require_chromium() -> str:
    """The Chromium executable, or skip the calling test with the reason and the fix."""
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        pytest.skip(f"browser test needs Chromium at {CHROMIUM}: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser test needs the playwright package (pip install playwright)")
    return CHROMIUM


@contextmanager
def phone_page(*, width: int = 390, height: int = 844, locale: str = "ru-RU") -> Iterator[Any]:
    """A fresh `playwright.sync_api.Page` in a phone-sized, touch, 2x context."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            options = {**PHONE, "viewport": {"width": width, "height": height}}
            context = browser.new_context(**options, locale=locale)
            yield context.new_page()
        finally:
            browser.close()


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve a WSGI app on a free local port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def screenshot_path(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
