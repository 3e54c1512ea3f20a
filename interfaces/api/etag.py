"""ETags for polled listings: a client that sends ``If-None-Match`` with the last ETag gets a bodiless
304 while nothing changed (the page's live refresh and scripts that poll pay one hash, no transfer)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder

__all__ = ["NOT_MODIFIED", "etag_json"]

#: The OpenAPI entry of the 304 answer.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is current (no body)"}
}


def _matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    offered = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in offered or tag in offered


def etag_json(request: Request, payload: Any) -> Response:
    """``payload`` as JSON with a strong ETag of its bytes, or 304 when ``If-None-Match`` names it."""
    body = json.dumps(jsonable_encoder(payload), separators=(",", ":")).encode()
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
