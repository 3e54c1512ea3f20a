"""The bars table: keyed by (symbol, ts), doubles that keep full precision, on every database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketjobs.store.bars import Bar
from marketjobs.store.models import Base


def bar(symbol: str = "AAPL", ts: int = 1_704_153_600_000, close: float = 185.64) -> Bar:
    return Bar(
        symbol=symbol,
        ts=ts,
        open=187.15,
        high=188.44,
        low=183.885,
        close=close,
        volume=82_488_700.0,
        source="test",
        updated_at=1,
    )


def test_bars_table_is_on_the_metadata_keyed_by_symbol_and_ts() -> None:
    table = Base.metadata.tables["bars"]
    assert [c.name for c in table.primary_key.columns] == ["symbol", "ts"]


def test_bar_round_trips_with_full_double_precision(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(bar(close=0.1 + 0.2))
    with Session(engine) as session:
        stored = session.execute(select(Bar)).scalar_one()
    assert stored.close == 0.1 + 0.2
    assert stored.low == 183.885
    assert stored.ts == 1_704_153_600_000


def test_same_symbol_and_ts_cannot_be_stored_twice(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(bar())
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(bar(close=1.0))
