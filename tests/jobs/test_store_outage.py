"""A store the workers cannot reach is said once per back-off step, not by each thread on every attempt."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from marketjobs.jobs.store_outage import report_store_error, store_outage, store_reached
from marketjobs.store.engine import create_store_engine

logger = logging.getLogger("tests.store_outage")


def test_connection_errors_are_said_once_per_step_and_other_errors_in_full(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    engine = create_store_engine("postgresql://u:S3cr3t@127.0.0.1:1/db", shared=False)
    with pytest.raises(OperationalError) as lost:
        engine.connect()
    for _ in range(20):  # the writer, the heartbeats and the cancel watcher, again and again
        report_store_error(engine, lost.value, logger, "writing 3 job records")
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1, said
    assert said[0].startswith("job store postgresql+psycopg://u:***@127.0.0.1:1/db is unreachable (")
    assert said[0].endswith("start the database or fix MARKETJOBS_DATABASE_URL")
    assert "S3cr3t" not in caplog.text
    report_store_error(engine, ValueError("a bad row"), logger, "writing 3 job records")
    assert caplog.records[-1].getMessage() == "writing 3 job records failed; will retry"
    assert caplog.records[-1].exc_info is not None
    store_reached(engine)
    assert caplog.records[-1].getMessage().endswith("is reachable again after 0 s")
    assert not store_outage(engine).down
