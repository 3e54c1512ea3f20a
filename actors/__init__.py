"""The Dramatiq actors of marketjobs; ``dramatiq actors`` imports this package.

Importing it sets the global broker from settings (``MARKETJOBS_BROKER_URL``), so ``actor.send()`` works from
any process that imports ``actors``.
"""

from __future__ import annotations

import dramatiq

from marketjobs.brokers import broker_from_url
from marketjobs.config import get_settings

__all__ = [
    "alerts",
    "broker",
    "data_import",
    "diagnostics",
    "maintenance",
    "portfolio_analysis",
    "price_update",
    "technical_analysis",
]

broker = broker_from_url(get_settings().broker_url)
dramatiq.set_broker(broker)

# The actor modules must be imported after the broker is set: each declares its actors on it.
from actors import (  # noqa: E402
    alerts,
    data_import,
    diagnostics,
    maintenance,
    portfolio_analysis,
    price_update,
    technical_analysis,
)
