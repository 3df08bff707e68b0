"""The monthly report's HTML page for a busy month in a real browser at phone width:
the four charts render as labelled SVG, nothing else is fetched, no script runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e.browser import live_server, phone_page, screenshot_path
from tests.e2e.report_history import rate_red, write_history

pytestmark = pytest.mark.browser

MONTH = datetime.now(UTC).strftime("%Y-%m")
CHART_LABELS = {
    "Daily sends and rates": ("authorized sends", "day of the month"),
    "Frequency curve": ("marketing sends per customer in the month", "customers"),
    "Template ranking by complaint rate": ("Templates by complaint rate, worst first",),
    "Template quality history": ("Template quality rating (platform)", "day of the month"),
}


@pytest.fixture
def base_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def test_a_busy_months_page_draws_four_labelled_charts_at_phone_width(
    api: Any, reviewer: Any, tenant: str, base_url: str
) -> None:
    write_history(api, reviewer, busy=24, outcomes=True)
    rate_red(api, tenant, "weekly_news")
    with phone_page(locale="en-US") as page:
        page.set_extra_http_headers({"Authorization": f"Bearer {api.token}"})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        url = f"{base_url}/v1/reports/monthly/{MONTH}?format=html"
        response = page.goto(url)
        assert response is not None and response.status == 200
        assert requested == [url]
        assert page.locator("script").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        charts = page.locator("figure svg[role=img]")
        assert charts.count() == 4
        for number in range(4):
            chart = charts.nth(number)
            title = chart.get_attribute("aria-label") or ""
            box = chart.bounding_box()
            assert box is not None and 300 <= box["width"] <= 390 and box["height"] > 150, title
            text = chart.text_content() or ""
            for label in CHART_LABELS[title]:
                assert label in text, (title, label)
        page.screenshot(path=screenshot_path("report_monthly_phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=screenshot_path("report_monthly_desktop.png"), full_page=True)
