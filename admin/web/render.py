"""Rendering pages: one Jinja2 environment, autoescaped, with the UI language's strings."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie

from junction.admin.web.auth import CSRF_FIELD
from junction.admin.web.i18n import LANGUAGES, translator

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "junction_lang"

NAV = (
    ("dashboard", "/admin/", "Dashboard"),
    ("connections", "/admin/connections", "Connections"),
    ("segments", "/admin/segments", "Segments"),
    ("syncs", "/admin/syncs", "Syncs"),
    ("runs", "/admin/runs", "Runs"),
    ("profiles", "/admin/profiles", "Profiles"),
    ("audit", "/admin/audit", "Audit log"),
    ("tokens", "/admin/tokens", "API tokens"),
    ("users", "/admin/users", "Users"),
)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = _datetime
    env.filters["pretty"] = _pretty
    return env


def _datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "–"


def _pretty(value: Any) -> str:
    return json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False, sort_keys=True)


def language(request: Request[Any, Any, Any]) -> str:
    """``?lang=`` if given, else the cookie, else the browser's first known language."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    csrf_token: str = "",
    **context: Any,
) -> Response[str]:
    """Render ``template`` for this request's user and language."""
    lang = language(request)
    session = request.scope.get("state", {}).get("web_session")
    html = (
        environment()
        .get_template(template)
        .render(
            _=translator(lang),
            lang=lang,
            languages=LANGUAGES,
            session=session,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token or (session.csrf_token if session else ""),
            nav=NAV,
            path=request.url.path,
            **context,
        )
    )
    all_cookies = list(cookies or [])
    if request.query_params.get("lang") in LANGUAGES:
        all_cookies.append(
            Cookie(key=LANG_COOKIE, value=lang, path="/", samesite="lax", max_age=31_536_000)
        )
    return Response(
        content=html,
        status_code=status_code,
        media_type="text/html",
        cookies=all_cookies,
        headers={
            # Pages hold masked PII and live security tokens: never cache, never frame.
            "cache-control": "no-store",
            "x-frame-options": "DENY",
            "content-security-policy": (
                "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                "script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
            ),
            "referrer-policy": "same-origin",
        },
    )
