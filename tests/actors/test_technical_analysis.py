"""The ``technical_analysis`` job: parameters at send, summary, fan-out with a callback, cancel, rerun."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
from sqlalchemy import text

from marketjobs.errors import ParameterError
from marketjobs.jobs import current_job, request_cancel
from marketjobs.services.technical_run import BATCH_SYMBOLS
from marketjobs.store.bars_io import upsert_bars
from tests.actors.conftest import actor_module, job, store, wait_for
from tests.analysis.test_technical import make_bars
from tests.conftest import wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]


@pytest.fixture
def module(broker: dramatiq.Broker) -> Iterator[Any]:
    """``actors.technical_analysis``, both its actors bound to the test's broker for the test."""
    with (
        actor_module(broker, "technical_analysis", "technical_analysis") as loaded,
        actor_module(broker, "technical_analysis", "technical_analysis_done"),
    ):
        yield loaded


def count(broker: dramatiq.Broker, table: str) -> int:
    with store(broker).connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"indicators": ["RSX_14"]}, r"indicators: Value error, indicator 'RSX_14': unknown function 'rsx'"),
        ({"indicators": ["MACD_12_26_9_1_2"]}, r"MACD takes up to 3 numbers after its name"),
        ({"indicators": [{"name": "rsi", "period": 3}]}, r"rsi has no parameter\(s\) \['period'\]"),
        ({"indicators": []}, r"indicators: List should have at least 1 item"),
        ({"patterns": ["CDLFOO"]}, r"unknown candlestick pattern\(s\) \['CDLFOO'\]"),
        ({"symbols": []}, r"symbols must be a non-empty list of names .*, or 'all'"),
        ({"lookback_bars": 1}, r"lookback_bars: Input should be greater than or equal to 2"),
        ({"chunk": 5}, r"chunk: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_fail_at_send_time(module: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        module.technical_analysis.send(**kwargs)


def test_positional_arguments_are_refused(module: Any) -> None:
    with pytest.raises(ParameterError, match="takes keyword parameters only"):
        module.technical_analysis.send(["AAPL"])


def test_analysis_stores_snapshots_and_signals_and_records_its_summary(
    broker: dramatiq.Broker, start_worker: StartWorker, module: Any
) -> None:
    upsert_bars(store(broker), make_bars({"AAA": 120, "BBB": 90}))
    start_worker()
    message = module.technical_analysis.send(indicators=["RSI_14", "SMA_20", "MACD"], signal_bars=None)
    done = wait_for(broker, message.message_id, "completed")
    result = done.result
    assert result is not None
    assert (result["symbols"], result["analysed"], result["rows"], result["snapshots"]) == (2, 2, 210, 2)
    assert result["signals_new"] == sum(result["signals"].values()) == count(broker, "signals") > 0
    assert done.progress == 100
    assert count(broker, "indicator_snapshots") == 2

    rerun = module.technical_analysis.send(indicators=["RSI_14", "SMA_20", "MACD"], signal_bars=None)
    again = wait_for(broker, rerun.message_id, "completed").result
    assert again is not None
    assert (again["signals"], again["signals_new"]) == (result["signals"], 0)  # a rerun adds nothing
    assert count(broker, "signals") == result["signals_new"]


def test_a_large_universe_fans_out_in_chunks_and_the_callback_sums_them(
    broker: dramatiq.Broker, start_worker: StartWorker, module: Any
) -> None:
    upsert_bars(store(broker), make_bars({f"S{i}": 40 for i in range(5)}))
    start_worker()
    message = module.technical_analysis.send(symbols="all", chunk_size=2, patterns=None, indicators=["SMA_5"])
    parent = wait_for(broker, message.message_id, "completed").result
    assert parent is not None
    assert (parent["symbols"], parent["fanned_out"], len(parent["chunks"])) == (5, 3, 3)
    total = wait_for(broker, parent["callback"], "completed").result
    assert total is not None
    assert (total["parent"], total["chunks"], total["symbols"], total["analysed"], total["rows"]) == (
        message.message_id,
        3,
        5,
        5,
        200,
    )
    assert total["cancelled_chunks"] == []
    assert count(broker, "indicator_snapshots") == 5
    chunk_symbols = [job(broker, chunk).parameters["kwargs"]["symbols"] for chunk in parent["chunks"]]
    assert chunk_symbols == [["S0", "S1"], ["S2", "S3"], ["S4"]]


def test_a_cancel_stops_a_running_job_between_batches(
    broker: dramatiq.Broker, start_worker: StartWorker, module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert_bars(store(broker), make_bars({f"S{i:03d}": 3 for i in range(BATCH_SYMBOLS + 1)}))
    real = module.analyse_stored

    def cancel_after_first_batch(*args: Any, **kwargs: Any) -> Any:
        report = kwargs["progress"]

        def progress(percent: float, message: str) -> None:
            report(percent, message)
            request_cancel(store(broker), current_job().id)
            wait_until(lambda: current_job().cancelled)

        return real(*args, **{**kwargs, "progress": progress})

    monkeypatch.setattr(module, "analyse_stored", cancel_after_first_batch)
    start_worker()
    message = module.technical_analysis.send(indicators=["SMA_2"], patterns=None, chunk_size=1000)
    done = wait_for(broker, message.message_id, "cancelled")
    assert done.result is not None
    assert (done.result["stopped"], done.result["analysed"]) == (True, BATCH_SYMBOLS)
    assert count(broker, "indicator_snapshots") == BATCH_SYMBOLS
