"""job_records and idempotency_keys times as BIGINT epoch milliseconds, like every other table

Each datetime column (naive UTC) gets a BIGINT twin filled in place by one UPDATE per table, then the old
column is dropped and the twin takes its name. Datetimes are truncated to the millisecond. The downgrade
converts back the same way (to naive-UTC datetimes with microseconds ``...000``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from marketjobs.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: table -> its time columns as (name, nullable).
_COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "job_records": (
        ("eta", True),
        ("created_at", False),
        ("started_at", True),
        ("finished_at", True),
        ("updated_at", False),
    ),
    "idempotency_keys": (("created_at", False),),
}
#: Indexes on those columns: (name, table, columns).
_INDEXES = (("ix_job_records_created_at", "job_records", ["created_at"]),)
#: Suffix of the twin column while both exist.
_TWIN = "_converted"

#: SQL of a column's value in the other representation, per dialect.
Expression = Callable[[str, str], str]


def _to_ms(dialect: str, column: str) -> str:
    """Epoch milliseconds of the naive-UTC datetime in ``column``, truncated to the millisecond."""
    if dialect == "sqlite":
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'. Whole seconds through strftime (given no fraction:
        # SQLite rounds fractions to the millisecond, which could carry into the next second), then the
        # first three digits of the fraction (padded, so a short or missing fraction reads right).
        return (
            f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000"
            f" + CAST(substr({column} || '000', 21, 3) AS INTEGER)"
        )
    if dialect == "postgresql":
        # EXTRACT(EPOCH) of a timestamp without time zone ignores the session's time zone.
        return f"CAST(EXTRACT(EPOCH FROM date_trunc('milliseconds', {column})) * 1000 AS BIGINT)"
    if dialect in ("mysql", "mariadb"):
        # Integer arithmetic on DATETIME, unlike UNIX_TIMESTAMP() which reads the session's time zone.
        return f"TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {column}) DIV 1000"
    raise NotImplementedError(f"migration 0008 does not support the {dialect} dialect")


def _to_datetime(dialect: str, column: str) -> str:
    """The naive-UTC datetime of the epoch milliseconds in ``column``."""
    if dialect == "sqlite":
        return (
            f"strftime('%Y-%m-%d %H:%M:%S', {column} / 1000, 'unixepoch')"
            f" || printf('.%06d', ({column} % 1000) * 1000)"
        )
    if dialect == "postgresql":
        return f"TIMESTAMP '1970-01-01 00:00:00' + {column} * INTERVAL '1 millisecond'"
    if dialect in ("mysql", "mariadb"):
        return f"TIMESTAMPADD(MICROSECOND, {column} * 1000, CAST('1970-01-01 00:00:00' AS DATETIME(6)))"
    raise NotImplementedError(f"migration 0008 does not support the {dialect} dialect")


def _convert(new_type: sa.types.TypeEngine[Any], expression: Expression) -> None:
    dialect = op.get_bind().dialect.name
    existing_type = new_type
    if dialect == "sqlite" and isinstance(new_type, sa.types.TypeDecorator):
        existing_type = new_type.impl_instance  # SQLite's batch mode reads a .name a TypeDecorator lacks
    for name, table, _ in _INDEXES:
        op.drop_index(name, table_name=table)
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, _ in columns:
                batch.add_column(sa.Column(column + _TWIN, new_type))
        sets = ", ".join(f"{column}{_TWIN} = {expression(dialect, column)}" for column, _ in columns)
        op.execute(f"UPDATE {table} SET {sets}")
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.drop_column(column)
                batch.alter_column(
                    column + _TWIN, new_column_name=column, existing_type=existing_type, nullable=nullable
                )
    for name, table, indexed in _INDEXES:
        op.create_index(name, table, indexed)


def upgrade() -> None:
    _convert(sa.BigInteger(), _to_ms)


def downgrade() -> None:
    _convert(UTCDateTime(), _to_datetime)
