"""Alembic migrations create exactly the schema the models describe, on every database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    inspect,
    select,
)

from marketjobs.errors import StoreError
from marketjobs.jobs import get_job
from marketjobs.store.engine import create_store_engine, normalize_database_url
from marketjobs.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    include_name,
    require_current,
    upgrade,
)
from marketjobs.store.models import Base
from marketjobs.store.types import UTCDateTime
from tests.conftest import DATABASES
from tests.servers import require_service


def test_upgrade_reaches_head_and_matches_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    require_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": include_name}
        )
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


# -- 0008: job_records and idempotency_keys times from datetimes to BIGINT epoch milliseconds ----------------

#: Session time zones far from UTC: stored values are naive UTC and must convert the same whatever the zone.
_SESSION_ZONE = {
    "postgres": {"options": "-c TimeZone=Asia/Kolkata"},
    "mariadb": {"init_command": "SET time_zone = '+05:30'"},
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME_COLUMNS = ("eta", "created_at", "started_at", "finished_at", "updated_at")
#: Job records at revision 0007: id -> their _TIME_COLUMNS.
_DATETIMES: dict[str, tuple[datetime | None, ...]] = {
    "all-set": (
        datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC),  # sub-millisecond digits are truncated
        _EPOCH,
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),  # past 32-bit seconds
        datetime(2026, 3, 29, 1, 30, 59, 999999, tzinfo=UTC),  # .999999 stays in its second
        datetime(2000, 2, 29, 23, 59, 59, 500000, tzinfo=UTC),
    ),
    "optional-null": (None, datetime(2026, 12, 3, 13, 47, 40, 1, tzinfo=UTC), None, None, _EPOCH),
}
#: Idempotency keys at revision 0007: key -> created_at.
_KEYS = {"k1": datetime(2026, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), "k2": _EPOCH}


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // timedelta(milliseconds=1)


def _to_the_ms(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _tables(time_type: Any) -> tuple[Table, Table]:
    """The columns of job_records and idempotency_keys this test uses, their times typed ``time_type``."""
    metadata = MetaData()
    records = Table(
        "job_records",
        metadata,
        Column("id", String(64), primary_key=True),
        *(Column(name, String(128)) for name in ("job_type", "queue", "priority", "status")),
        *(Column(name, Integer) for name in ("seq", "attempts")),
        Column("progress", Float),
        Column("cancel_requested", Boolean),
        *(Column(name, time_type) for name in _TIME_COLUMNS),
    )
    keys = Table(
        "idempotency_keys",
        metadata,
        Column("key", String(255), primary_key=True),
        *(Column(name, String(128)) for name in ("message_id", "job_type")),
        Column("created_at", time_type),
    )
    return records, keys


def _times(connection: Connection, records: Table, keys: Table) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = connection.execute(select(records.c.id, *(records.c[n] for n in _TIME_COLUMNS))).all()
    stored_keys = connection.execute(select(keys.c.key, keys.c.created_at)).all()
    return {row[0]: tuple(row[1:]) for row in rows}, {key: at for key, at in stored_keys}


def _has_created_at_index(engine: Engine) -> bool:
    return "ix_job_records_created_at" in {i["name"] for i in inspect(engine).get_indexes("job_records")}


@pytest.fixture(params=DATABASES)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (created here, dropped after) on each server; its sessions use a time
    zone other than UTC."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    server = normalize_database_url(require_service(request.param))
    name = f"mj_migrate_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        url = server.set(database=name).update_query_dict(_SESSION_ZONE[request.param])
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if request.param == "postgres" else ""
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()


def test_0008_turns_job_record_datetimes_into_epoch_ms_and_back(fresh_database_url: str) -> None:
    engine = create_store_engine(fresh_database_url, shared=False)
    config = alembic_config(engine)
    records, keys = _tables(UTCDateTime)
    records_ms, keys_ms = _tables(BigInteger)
    fixed = {"job_type": "noop", "queue": "default", "priority": "normal", "status": "completed"}
    fixed |= {"seq": 7, "attempts": 1, "progress": 100.0, "cancel_requested": False}
    try:
        command.upgrade(config, "0007")
        with engine.begin() as connection:
            connection.execute(
                records.insert(),
                [
                    {"id": job_id, **fixed, **dict(zip(_TIME_COLUMNS, times, strict=True))}
                    for job_id, times in _DATETIMES.items()
                ],
            )
            connection.execute(
                keys.insert(),
                [
                    {"key": k, "message_id": "m", "job_type": "noop", "created_at": at}
                    for k, at in _KEYS.items()
                ],
            )

        command.upgrade(config, "head")
        columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("job_records")}
        assert all(isinstance(columns[name], Integer) for name in _TIME_COLUMNS), columns
        assert _has_created_at_index(engine)
        with engine.connect() as connection:
            assert _times(connection, records_ms, keys_ms) == (
                {job_id: tuple(_ms(t) for t in times) for job_id, times in _DATETIMES.items()},
                {key: _ms(at) for key, at in _KEYS.items()},
            )
        assert get_job(engine, "all-set").started_at == 2_147_483_648_000  # the model reads them as they are

        command.downgrade(config, "0007")
        assert _has_created_at_index(engine)
        with engine.connect() as connection:
            assert _times(connection, records, keys) == (
                {job_id: tuple(_to_the_ms(t) for t in times) for job_id, times in _DATETIMES.items()},
                {key: _to_the_ms(at) for key, at in _KEYS.items()},
            )
    finally:
        engine.dispose()


# -- 0011: job search indexes ------------------------------------------------------------------------------


def _job_record_indexes(engine: Engine) -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("job_records") if i["name"]}


def test_0011_indexes_each_job_search_filter_by_creation_time_and_downgrade_restores_0010(
    fresh_database_url: str,
) -> None:
    engine = create_store_engine(fresh_database_url, shared=False)
    config = alembic_config(engine)
    try:
        command.upgrade(config, "0011")
        indexes = _job_record_indexes(engine)
        for column in ("status", "job_type", "queue", "hostname", "pid"):
            assert indexes[f"ix_job_records_{column}"] == [column, "created_at"]
        assert indexes["ix_job_records_status_job_type"] == ["status", "job_type", "created_at"]

        command.downgrade(config, "0010")
        indexes = _job_record_indexes(engine)
        assert indexes["ix_job_records_status_job_type"] == ["status", "job_type"]
        assert not {"ix_job_records_status", "ix_job_records_pid"} & set(indexes)
    finally:
        engine.dispose()
