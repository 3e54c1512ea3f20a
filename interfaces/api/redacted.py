"""Values made safe to serve: secrets redacted (:mod:`marketjobs.redact`), webhook URLs cut to their host
(a webhook's path or query is often its secret), and NaN or infinite numbers (not JSON) as null."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from marketjobs.redact import MASK, redact, redact_text

__all__ = ["finite", "served", "webhook"]


def webhook(url: str | None) -> str | None:
    """``https://host/***``: the scheme and host of a webhook URL, never its credentials, path or query."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if not parts.scheme or not host:
        return MASK
    rest = f"/{MASK}" if (parts.path.strip("/") or parts.query or parts.fragment) else ""
    return redact_text(f"{parts.scheme}://{host}{port}{rest}")


def served(value: Any) -> Any:
    """``value`` redacted, with NaN and infinities as None."""
    return finite(redact(value))


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
