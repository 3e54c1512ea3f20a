"""``periodiq actors`` runs the actors' declared schedules unchanged: a real process enqueues a tick."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import dramatiq
from sqlalchemy import select

from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import BrokerMessage
from tests.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]
#: The queue of tests/scheduler/periodiq_actors.py (importing it here would declare its actor on this
#: process's broker).
QUEUE = "periodiq_test"
#: periodiq fires an every-minute schedule as it starts (after at most 5 s past a minute's 55th second).
TICK_TIMEOUT_SECONDS = 65.0


def messages(url: str, queue: str) -> list[dramatiq.Message[Any]]:
    with create_store_engine(url).connect() as connection:
        payloads = connection.execute(select(BrokerMessage.payload).where(BrokerMessage.queue == queue))
        return [dramatiq.Message.decode(payload) for payload in payloads.scalars()]


def test_periodiq_actors_enqueues_the_declared_ticks_with_their_kwargs(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "MARKETJOBS_DATABASE_URL": sqlite_url,
        "MARKETJOBS_BROKER_URL": sqlite_url,
        "MARKETJOBS_LOG_LEVEL": "WARNING",
    }
    env.pop("MARKETJOBS_SCHEDULES", None)
    periodiq = Path(sys.executable).with_name("periodiq")
    log = (tmp_path / "periodiq.log").open("wb")
    process = subprocess.Popen(
        [str(periodiq), "actors", "tests.scheduler.periodiq_actors"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: bool(messages(sqlite_url, QUEUE)), timeout=TICK_TIMEOUT_SECONDS, interval=0.5)
        assert process.poll() is None, (tmp_path / "periodiq.log").read_text()
        tick = messages(sqlite_url, QUEUE)[0]
        assert tick.actor_name == "periodiq_note"
        assert tick.kwargs == {"note": "from periodiq"}
        assert "scheduled_at" in tick.options
        alerts = messages(sqlite_url, "alerts")  # the actors' own every-minute default, same tick
        assert alerts
        assert {message.actor_name for message in alerts} == {"alerts"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        log.close()
