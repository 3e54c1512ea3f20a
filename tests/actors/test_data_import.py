"""The ``data_import`` job: parameters checked at send, summary and report recorded, cancel between chunks."""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import polars as pl
import pytest

from marketjobs.config import configure, get_settings
from marketjobs.errors import ParameterError
from marketjobs.jobs import request_cancel
from marketjobs.marketdata import importer
from marketjobs.store.bars_io import load_bars, upsert_bars
from marketjobs.store.engine import create_store_engine
from tests.actors.conftest import actor_module, wait_for
from tests.conftest import records_of, wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]
HEADER_LINE = b"Date,Open,High,Low,Close,Volume\n"
CSV = "Date,Open,High,Low,Close,Volume\n" + "".join(
    f"2024-01-{d:02d},10,11,9,10.5,100\n" for d in range(1, 21)
)


@pytest.fixture
def data_import(broker: dramatiq.Broker, tmp_path: Path) -> Iterator[Any]:
    """The real ``data_import`` actor, bound to the test's broker for the test; tmp_path/imports is the
    import root and tmp_path/reports the reports folder."""
    with actor_module(broker, "data_import", "data_import") as module:
        (tmp_path / "imports").mkdir()
        update = {"import_roots": [str(tmp_path / "imports")], "reports_dir": str(tmp_path / "reports")}
        configure(get_settings().model_copy(update=update))
        yield module.data_import


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"path": "bars/", "chunk_rows": 0}, "chunk_rows: Input should be greater than or equal to 1"),
        ({"path": "bars/", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"path": "bars/", "chunks": 10}, "chunks: Extra inputs are not permitted"),
        ({"path": "bars/", "reports_dir": "/etc"}, "reports_dir comes from the settings"),
        ({"path": "bars/\x00"}, "path: Value error, a path cannot hold a NUL byte"),
        ({}, "path: Field required"),
    ],
)
def test_bad_parameters_fail_at_send_time(data_import: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        data_import.send(**kwargs)


def test_positional_parameters_are_refused(data_import: Any) -> None:
    with pytest.raises(ParameterError, match="keyword parameters only"):
        data_import.send("bars/")


def test_import_job_records_its_summary_and_writes_the_report(
    broker: dramatiq.Broker, start_worker: StartWorker, data_import: Any, tmp_path: Path
) -> None:
    imports, reports = tmp_path / "imports", tmp_path / "reports"
    (imports / "AAPL.csv").write_text(CSV + "2024-01-21,10,11,9,12,100\n")
    start_worker()
    message = data_import.send(path=str(imports), chunk_rows="8")
    done = wait_for(broker, message.message_id, "completed")
    assert done.parameters == {"args": [], "kwargs": {"path": str(imports), "chunk_rows": 8}}
    result = done.result
    assert result is not None
    assert (result["files"], result["rows_read"], result["rows_upserted"], result["rows_rejected"]) == (
        1,
        21,
        20,
        1,
    )
    assert result["report"] == str(reports / f"{message.message_id}.csv")
    assert pl.read_csv(result["report"])["reason"].to_list() == ["close outside [low, high]"]
    assert load_bars(create_store_engine(records_of(broker).settings.database_url)).height == 20


def test_a_report_never_overwrites_a_file(
    broker: dramatiq.Broker, start_worker: StartWorker, data_import: Any, tmp_path: Path
) -> None:
    (tmp_path / "imports" / "AAPL.csv").write_text(CSV + "2024-01-21,10,11,9,12,100\n")
    message = data_import.message(path=str(tmp_path / "imports"))
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / f"{message.message_id}.csv").write_text("precious")
    start_worker()
    broker.enqueue(message)
    result = wait_for(broker, message.message_id, "completed").result
    assert result is not None
    assert result["report"] == str(tmp_path / "reports" / f"{message.message_id}.1.csv")
    assert (tmp_path / "reports" / f"{message.message_id}.csv").read_text() == "precious"


@pytest.mark.parametrize(
    ("target", "match"),
    [
        ("outside.csv", "is outside import_roots"),
        ("imports/link.csv", "is outside import_roots"),  # a symlink out of the root
        ("imports/../outside.csv", "is outside import_roots"),
        ("imports/dir", "dir/link.csv links to .*outside.csv, outside import_roots"),
    ],
)
def test_paths_outside_the_import_roots_go_straight_to_dead_letters(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    data_import: Any,
    tmp_path: Path,
    target: str,
    match: str,
) -> None:
    (tmp_path / "outside.csv").write_text(CSV)
    (tmp_path / "imports" / "link.csv").symlink_to(tmp_path / "outside.csv")
    (tmp_path / "imports" / "dir").mkdir()
    (tmp_path / "imports" / "dir" / "link.csv").symlink_to(tmp_path / "outside.csv")
    start_worker()
    message = data_import.send(path=str(tmp_path / target))
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 1
    assert dead.error is not None
    assert re.search(match, dead.error), dead.error


def test_a_message_id_that_is_no_plain_id_names_no_report(
    broker: dramatiq.Broker, start_worker: StartWorker, data_import: Any, tmp_path: Path
) -> None:
    (tmp_path / "imports" / "AAPL.csv").write_text(CSV)
    message = data_import.message(path=str(tmp_path / "imports")).copy(message_id="../../imports/AAPL")
    start_worker()
    broker.enqueue(message)
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.error is not None
    assert "cannot name a file" in dead.error
    assert (tmp_path / "imports" / "AAPL.csv").read_text() == CSV


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        (
            "LONG.csv",
            HEADER_LINE + b"2024-01-01," + b"9" * 5000,
            r"line 2 of LONG\.csv is longer than max_line_bytes",
        ),
        ("WIDE.csv", b"Date" + b",x" * 3000 + b"\n", r"line 1 of WIDE\.csv is longer than max_line_bytes"),
        (
            "BOMB.csv.gz",
            gzip.compress(HEADER_LINE + b"2024-01-01,10,11,9,10.5,100\n" * 20_000),
            r"BOMB\.csv\.gz is larger than max_import_bytes \(100000 bytes\) once decompressed",
        ),
    ],
)
def test_an_oversized_file_fails_for_good_naming_the_setting(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    data_import: Any,
    tmp_path: Path,
    name: str,
    content: bytes,
    match: str,
) -> None:
    configure(get_settings().model_copy(update={"max_line_bytes": 1024, "max_import_bytes": 100_000}))
    (tmp_path / "imports" / name).write_bytes(content)
    start_worker()
    message = data_import.send(path=str(tmp_path / "imports" / name))
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 1
    assert dead.error is not None
    assert re.search(match, dead.error), dead.error
    assert "raise max_" in dead.error


def test_missing_file_goes_straight_to_dead_letters(
    broker: dramatiq.Broker, start_worker: StartWorker, data_import: Any, tmp_path: Path
) -> None:
    start_worker()
    message = data_import.send(path=str(tmp_path / "imports" / "nowhere.csv"))
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 1
    assert dead.error is not None
    assert "does not exist" in dead.error


def test_running_import_stops_between_chunks_when_cancelled(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    data_import: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chunks: list[int] = []

    def slow_upsert(*args: Any, **kwargs: Any) -> int:
        chunks.append(1)
        time.sleep(0.05)
        return upsert_bars(*args, **kwargs)

    monkeypatch.setattr(importer, "upsert_bars", slow_upsert)
    (tmp_path / "imports" / "AAPL.csv").write_text(CSV)
    start_worker()
    message = data_import.send(path=str(tmp_path / "imports" / "AAPL.csv"), chunk_rows=1)
    wait_until(lambda: len(chunks) >= 2)
    request_cancel(create_store_engine(records_of(broker).settings.database_url), message.message_id)
    cancelled = wait_for(broker, message.message_id, "cancelled")
    assert len(chunks) < 20
    assert 0 < cancelled.progress < 100
    assert cancelled.result is not None
    assert cancelled.result["stopped"] is True
    assert cancelled.result["rows_upserted"] == len(chunks)
