"""The pipeline ``price_update -> technical_analysis -> alerts`` on every broker, with the analysis fanned
out: alerts must run after the last chunk, not when the chunks are merely sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import dramatiq
import pytest
from sqlalchemy import text

from marketjobs.notify.rules import add_rule
from marketjobs.store.bars_io import load_bars, upsert_bars
from marketjobs.store.models import JobRecord
from tests.actors.conftest import actor_module, job, store
from tests.analysis.test_technical import make_bars
from tests.conftest import wait_until

SYMBOLS = {f"P{i}": 60 for i in range(5)}


@pytest.fixture
def actors_on(broker: dramatiq.Broker) -> Iterator[dict[str, Any]]:
    """The pipeline's actors bound to the test's broker."""
    names = [
        ("price_update", "price_update"),
        ("technical_analysis", "technical_analysis"),
        ("technical_analysis", "technical_analysis_done"),
        ("alerts", "alerts"),
    ]
    with ExitStack() as stack:
        modules = {actor: stack.enter_context(actor_module(broker, module, actor)) for module, actor in names}
        yield {name: getattr(module, name) for name, module in modules.items()}


def _final(broker: dramatiq.Broker, job_id: str) -> JobRecord:
    """The job's record once it is completed or dead."""

    def done() -> bool:
        try:
            return job(broker, job_id).status in ("completed", "dead")
        except Exception:
            return False

    wait_until(done, timeout=120)
    return job(broker, job_id)


def test_the_pipeline_updates_analyses_in_chunks_then_alerts(
    broker: dramatiq.Broker, start_worker: Callable[..., dramatiq.Worker], actors_on: dict[str, Any]
) -> None:
    broker.flush_all()  # shared Redis/RabbitMQ queues: drop what an interrupted earlier run left behind
    engine = store(broker)
    upsert_bars(engine, make_bars(SYMBOLS))
    add_rule(engine, name="any-close", symbol="*", rule_type="price_above", params={"level": 0.0})
    start_worker(worker_threads=4)
    pipeline = dramatiq.pipeline(
        [
            actors_on["price_update"].message_with_options(
                kwargs={"symbols": "all", "source": "synthetic", "options": {"seed": 3, "bars": 1}},
                pipe_ignore=True,
            ),
            actors_on["technical_analysis"].message_with_options(
                kwargs={
                    "symbols": "all",
                    "indicators": ["RSI_14", "SMA_20"],
                    "patterns": None,
                    "chunk_size": 2,
                },
                pipe_ignore=True,
            ),
            actors_on["alerts"].message_with_options(kwargs={}, pipe_ignore=True),
        ]
    )
    pipeline.run()
    update, analysis, alerts = (m.message_id for m in pipeline.messages)

    alerts_record = _final(broker, alerts)
    assert alerts_record.status == "completed", alerts_record.error
    assert _final(broker, update).result["bars_upserted"] == len(SYMBOLS)
    parent = _final(broker, analysis).result
    assert parent["fanned_out"] == 3
    chunks = [_final(broker, chunk) for chunk in parent["chunks"]]
    callback = _final(broker, parent["callback"])
    assert all(c.status == "completed" for c in chunks)
    # alerts ran after the callback, which ran after every chunk
    assert callback.finished_at is not None
    assert alerts_record.started_at is not None
    assert alerts_record.started_at >= callback.finished_at
    assert callback.started_at >= max(c.finished_at for c in chunks if c.finished_at is not None)

    latest = load_bars(engine, last=1)
    with engine.connect() as connection:
        snapshots = dict(connection.execute(text("SELECT symbol, ts FROM indicator_snapshots")).all())
        fired = connection.execute(text("SELECT symbol, bar_ts, status FROM alert_firings")).all()
    expected = {row["symbol"]: int(row["ts"].timestamp() * 1000) for row in latest.iter_rows(named=True)}
    assert snapshots == expected  # every symbol analysed on the bar the update just added
    assert {(symbol, bar_ts) for symbol, bar_ts, _ in fired} == set(expected.items())
    assert {status for _, _, status in fired} == {"delivered"}
    assert alerts_record.result["fired"] == len(SYMBOLS)
