"""Alembic migrations create exactly the schema the models describe, on every database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from marketjobs.errors import StoreError
from marketjobs.store.engine import create_store_engine, normalize_database_url
from marketjobs.store.migrate import current_revision, head_revision, require_current, upgrade
from marketjobs.store.models import Base


def test_upgrade_reaches_head_and_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    require_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    assert upgrade(database_url) == head_revision()


def test_unmigrated_store_says_to_run_db_upgrade(tmp_path: object) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path}/fresh.db")
    with pytest.raises(StoreError, match="marketjobs db upgrade"):
        require_current(engine)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mysql+pymysql"),
        ("sqlite:///x.db", "sqlite"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
    ],
)
def test_bare_urls_get_the_installed_driver(url: str, driver: str) -> None:
    assert normalize_database_url(url).drivername == driver
