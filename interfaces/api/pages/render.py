"""What every page shares: the templates (loaded from the package), time filters, and who is looking.

A page request without a valid token (the ``marketjobs_token`` cookie, or a bearer header) is redirected to
``/login``; a page never shows an action to a principal that cannot act (:attr:`Principal.can_act`), and the
API refuses such actions anyway.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import Response

from interfaces.api.auth import Principal, current_principal
from marketjobs.clock import from_ms, now_ms

__all__ = ["PageUser", "page_user", "render", "templates"]

#: Headers of every page: nothing loads from elsewhere, no inline script or style, never framed or cached.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

#: Jinja2 environment of the page templates (``interfaces/api/templates``, shipped in the package).
_environment = Environment(
    loader=PackageLoader("interfaces.api", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(epoch_ms: int | None) -> str:
    """Epoch ms as ``YYYY-MM-DD HH:MM:SS`` UTC; ``-`` for none."""
    return "-" if epoch_ms is None else from_ms(epoch_ms).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(seconds: float | None) -> str:
    """A duration in the largest unit that keeps it short (``850 ms``, ``12 s``, ``4 min``, ``3 h``)."""
    if seconds is None:
        return "-"
    if seconds == 0:
        return "0 s"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size * 2:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"


def _ago(epoch_ms: int | None) -> str:
    """How long ago epoch ms was (``-`` for none)."""
    return "-" if epoch_ms is None else f"{_seconds(max(now_ms() - epoch_ms, 0) / 1000)} ago"


def _took(job: Any) -> str:
    """A job's run time (start to finish, or to now while it runs)."""
    if job.started_at is None:
        return "-"
    return _seconds(((job.finished_at or now_ms()) - job.started_at) / 1000)


def _pretty(value: Any) -> str:
    """JSON, indented (values are redacted before they get here)."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


_environment.filters.update(when=_when, ago=_ago, seconds=_seconds, took=_took, pretty=_pretty)
templates = Jinja2Templates(env=_environment)


def _login_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(
        status.HTTP_303_SEE_OTHER,
        "log in first",
        headers={"Location": f"/login?next={quote(target, safe='')}"},
    )


def page_user(request: Request) -> Principal:
    """The principal looking at a page; without a valid token, a redirect to the login form."""
    try:
        return current_principal(request)
    except HTTPException:
        raise _login_redirect(request) from None


PageUser = Annotated[Principal, Depends(page_user)]


def render(
    request: Request, name: str, principal: Principal | None, status_code: int = 200, **context: Any
) -> Response:
    """The template ``name`` with ``context``, the principal and the current path."""
    return templates.TemplateResponse(
        request,
        name,
        {"principal": principal, "path": request.url.path, **context},
        status_code=status_code,
        headers=PAGE_HEADERS,
    )
