"""Bearer tokens and roles: who is asking, and may they do this.

A token is accepted from the ``Authorization: Bearer <token>`` header or from the operator page's
``marketjobs_token`` cookie (HttpOnly, SameSite=Strict, set by the login form). Tokens are compared by
their SHA-256 hash in constant time against every configured token, so neither the token nor which one
matched leaks through timing. No token configured: every request but the health probes is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status

from marketjobs.config import ApiToken, Settings

__all__ = [
    "COOKIE_NAME",
    "Operator",
    "Principal",
    "Viewer",
    "authenticate",
    "hash_token",
    "new_token",
    "require_operator",
    "require_viewer",
]

#: The cookie the operator page keeps the token in.
COOKIE_NAME = "marketjobs_token"
Role = Literal["viewer", "operator"]
_RANK: dict[str, int] = {"viewer": 1, "operator": 2}


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token."""

    name: str
    role: Role

    @property
    def can_act(self) -> bool:
        """True for operators."""
        return self.role == "operator"


def hash_token(token: str) -> str:
    """The hex SHA-256 of ``token``, as ``api_tokens`` stores it."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def authenticate(tokens: list[ApiToken], presented: str | None) -> Principal | None:
    """The principal whose token hashes to ``presented``'s hash, compared in constant time; else None."""
    if not presented:
        return None
    digest = hash_token(presented)
    found: Principal | None = None
    for token in tokens:  # every token is compared, match or not
        if hmac.compare_digest(digest, token.sha256):
            found = Principal(token.name, token.role)
    return found


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME)


def current_principal(request: Request) -> Principal:
    """The request's principal, or 401 naming how to authenticate."""
    settings: Settings = request.app.state.settings
    principal = authenticate(settings.api_tokens, _presented(request))
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is required: send 'Authorization: Bearer <token>' "
            "(make one with `marketjobs api-token`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require_viewer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Any valid token."""
    return principal


def require_operator(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A token with role operator, else 403."""
    if _RANK[principal.role] < _RANK["operator"]:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"{principal.name} is a viewer; this action needs an operator token"
        )
    return principal


Viewer = Annotated[Principal, Depends(require_viewer)]
Operator = Annotated[Principal, Depends(require_operator)]
