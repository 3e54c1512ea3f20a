"""Worker-side module of benchmarks/faults.py: one idempotent actor whose effect is applied exactly once.

The effect is a row in the ``effects`` table of a SQLite file (FAULTS_EFFECTS_DB) whose key is unique: a
delivery that finds its key there already is a duplicate execution (at-least-once redelivery), recorded in
``attempts`` with ``duplicate = 1`` and otherwise harmless. The insert and its attempt row commit together,
so a kill -9 leaves either both or neither.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import dramatiq

from marketjobs.config import get_settings
from marketjobs.jobs.broker import broker_from_url

#: SQLite file of the effects and attempts tables.
EFFECTS_DB = Path(os.environ.get("FAULTS_EFFECTS_DB", "var/fault-effects.db"))
#: Queue of the fault run (a private name, so a shared broker's other queues are never touched).
QUEUE = os.environ.get("FAULTS_QUEUE", "faults")
#: How long one job works before it applies its effect, in seconds.
WORK_SECONDS = float(os.environ.get("FAULTS_WORK_SECONDS", "0.1"))

SCHEMA = """
CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, pid INTEGER NOT NULL, applied_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    key TEXT NOT NULL, pid INTEGER NOT NULL, at REAL NOT NULL, duplicate INTEGER NOT NULL
);
"""

broker = broker_from_url(get_settings().broker_url)
dramatiq.set_broker(broker)


def create_effects(path: Path) -> None:
    """Creates the effects file with its tables, in WAL mode so that readers never block the workers."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
    connection.close()


def connect_effects(path: Path = EFFECTS_DB) -> sqlite3.Connection:
    """A connection to the effects file, in autocommit mode (transactions are explicit)."""
    return sqlite3.connect(path, timeout=60, isolation_level=None)


@dramatiq.actor(queue_name=QUEUE, max_retries=20)
def apply_effect(key: str) -> bool:
    """Works for WORK_SECONDS, then applies ``key``'s effect once; returns False on a duplicate delivery."""
    time.sleep(WORK_SECONDS)
    connection = connect_effects()
    try:
        connection.execute("BEGIN IMMEDIATE")
        applied = connection.execute(
            "INSERT OR IGNORE INTO effects (key, pid, applied_at) VALUES (?, ?, ?)",
            (key, os.getpid(), time.time()),
        ).rowcount
        connection.execute(
            "INSERT INTO attempts (key, pid, at, duplicate) VALUES (?, ?, ?, ?)",
            (key, os.getpid(), time.time(), int(applied == 0)),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return applied == 1
