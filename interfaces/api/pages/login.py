"""``/login`` (a form for a token; on success the token goes into an HttpOnly, SameSite=Strict cookie) and
``/logout`` (clears it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from interfaces.api.auth import COOKIE_NAME, authenticate
from interfaces.api.pages.render import render
from marketjobs.config import Settings

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: How long the login cookie lives, in seconds (the token itself does not expire).
COOKIE_MAX_AGE_SECONDS = 12 * 3600


def _local(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return render(request, "login.html", None, next=_local(next), error=None)


@router.post("/login")
def login(
    request: Request,
    token: Annotated[str, Form(max_length=512)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Checks the token; sets the cookie and goes on to ``next``, or shows the form again with the reason."""
    settings: Settings = request.app.state.settings
    principal = authenticate(settings.api_tokens, token.strip())
    if principal is None:
        error = (
            "That token is not valid. Paste a token made with `marketjobs api-token` whose hash is in the "
            "settings' api_tokens."
            if settings.api_tokens
            else "No api_tokens are configured: make one with `marketjobs api-token` and add its entry to "
            "the settings."
        )
        return render(request, "login.html", None, status_code=401, next=_local(next), error=error)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        token.strip(),
        max_age=COOKIE_MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    """Clears the cookie and shows the login form."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response
