"""Signing in to the console with Flask's test client, as a browser would: read the form's
CSRF token, post the API token, keep the session cookie."""

from __future__ import annotations

import re
from typing import Any

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


class Console:
    """A signed-in console user (one test client, one cookie jar)."""

    def __init__(self, app: Any, token: str, *, base_url: str = "http://localhost") -> None:
        self.client = app.test_client()
        self.base_url = base_url
        self.sign_in_answer = self.sign_in(token)

    def sign_in(self, token: str) -> Any:
        form = self.get("/console/sign-in")
        return self.post_raw("/console/sign-in", {"csrf_token": csrf_of(form.text), "token": token})

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, base_url=self.base_url, **kw)

    def post_form(self, page: str, action: str, data: dict[str, Any]) -> Any:
        """Post to `action` with the CSRF token of the form shown on `page`."""
        shown = self.get(page)
        assert shown.status_code == 200, shown.text
        return self.post_raw(action, {"csrf_token": csrf_of(shown.text), **data})

    def post_raw(self, action: str, data: dict[str, Any]) -> Any:
        """A form post as a browser sends it from a console page (over https, Flask-WTF
        also checks that the Referer is this server)."""
        return self.client.post(
            action,
            data=data,
            base_url=self.base_url,
            headers={"Referer": self.base_url + "/console"},
        )
