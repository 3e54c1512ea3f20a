"""Fixtures of the SQL broker's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import reset_database
from tests.servers import require_service


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the SQL broker."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'broker.db'}"
    url = require_service(request.param)
    reset_database(url)
    return url
