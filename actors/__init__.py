"""The Dramatiq actors of marketjobs; ``dramatiq actors`` imports this package.

Importing it sets the global broker from settings (``MARKETJOBS_BROKER_URL``), so ``actor.send()`` works from
any process that imports ``actors``.
"""

from __future__ import annotations

import dramatiq

from marketjobs.brokers import broker_from_url
from marketjobs.config import get_settings

__all__ = ["broker", "data_import", "diagnostics", "maintenance", "portfolio_analysis", "price_update", "technical_analysis"]

broker = broker_from_url(get_settings().broker_url)
dramatiq.set_broker(broker)

from actors import data_import, diagnostics, maintenance, portfolio_analysis, price_update, technical_analysis  # noqa: E402  (actors must be declared on the broker set above)
