"""Rendering a console page: language, the signed-in person, and the refusal of query
parameters and form fields a page does not know (a mistyped filter is said, not ignored)."""

from __future__ import annotations

import re
from typing import Any, Final

from flask import Response, g, make_response, render_template, request, session

from registry.timefmt import parse_iso
from registry.web.console.access import open_sections
from registry.web.console.texts import text

LANGUAGES: Final = ("ru", "en")
_BACK = re.compile(r"^/console(/[A-Za-z0-9_.~%/-]*)?(\?[A-Za-z0-9_.~%=&+-]*)?$")


class UnknownParameters(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


class BadValues(UnknownParameters):
    """Known fields with values the page cannot take (named, nothing changed)."""


def allow_fields(*names: str) -> None:
    unknown = sorted(set(request.form) - set(names))
    if unknown:
        raise UnknownParameters(unknown)


def when(value: Any) -> str:
    """An RFC 3339 moment as `2026-12-02 03:32 UTC` (to the second); "—" for none."""
    if not isinstance(value, str) or not value:
        return "—"
    try:
        moment = parse_iso(value)
    except ValueError:
        return value
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def figure(value: Any, name: str = "") -> str:
    """A figure as the registry computed it: a rate (`*_rate`, a fraction) as a percentage,
    a missing one (no denominator) as "—", never 0."""
    if value is None:
        return "—"
    if (
        name.endswith("rate")
        and isinstance(value, int | float | str)
        and not isinstance(value, bool)
    ):
        try:
            return f"{float(value) * 100:.2f} %"
        except ValueError:
            return str(value)
    return str(value)


def safe_back(back: str | None) -> str:
    """Only a console path of this server (no scheme, host or `//`)."""
    if back and _BACK.match(back) and "//" not in back:
        return back
    return "/console"


def page(page_template: str, *, status: int = 200, **context: Any) -> Response:
    lang = g.get("lang", "ru")
    me = g.get("console_principal") if session.get("token") else None

    def t(key: str, **values: Any) -> str:
        return text(lang, key, **values)

    html = render_template(
        f"console/{page_template}",
        lang=lang,
        other_lang="en" if lang == "ru" else "ru",
        t=t,
        me=me,
        sections=open_sections() if me is not None else [],
        here=request.path,
        back=request.full_path.rstrip("?"),
        **context,
    )
    response = make_response(html, status)
    response.headers["Content-Language"] = lang
    return response
