"""One maintenance run: the store's retention, the broker's expired dead letters, then vacuum.

The store deletes its own rows (:mod:`marketjobs.store.maintenance`); each broker purges its own copies of
dead messages (:meth:`~marketjobs.brokers.base.MarketJobsBrokerMixin.purge_dead_letters`), so no layer
knows another's storage layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

import dramatiq
from sqlalchemy import Engine

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.config import Settings
from marketjobs.store.maintenance import (
    DEFAULT_BATCH_SIZE,
    TASKS,
    MaintenanceSummary,
    RetentionRun,
    RetentionStopped,
    purge_tables,
    vacuum,
)

__all__ = ["purge_broker_dead_letters", "run_maintenance", "run_retention"]

#: The summary key of the broker's dead letters.
BROKER_DEAD_LETTERS = "broker_dead_letters"


def purge_broker_dead_letters(
    broker: dramatiq.Broker,
    older_than: timedelta,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    check_stop: Callable[[], None] | None = None,
) -> int | None:
    """Deletes the broker's copies of messages dead for longer than ``older_than``; returns how many.

    Returns None for a broker that expires its dead letters itself (RabbitMQ) or keeps none (the stub).
    """
    if not isinstance(broker, MarketJobsBrokerMixin):
        return None
    return broker.purge_dead_letters(
        older_than, batch_size=batch_size, dry_run=dry_run, check_stop=check_stop
    )


def _dead_letters(run: RetentionRun, settings: Settings, broker: dramatiq.Broker | None) -> None:
    if broker is None:
        run.summary.skipped[BROKER_DEAD_LETTERS] = "no broker given"
        return
    try:
        purged = purge_broker_dead_letters(
            broker,
            timedelta(days=settings.dead_letter_retention_days),
            batch_size=run.batch_size,
            dry_run=run.summary.dry_run,
            check_stop=run.check_stop,
        )
    except RetentionStopped:
        return
    if purged is None:
        note = (
            broker.dead_letters_note
            if isinstance(broker, MarketJobsBrokerMixin)
            else MarketJobsBrokerMixin.dead_letters_note
        )
        run.summary.skipped[BROKER_DEAD_LETTERS] = note.format(broker=type(broker).__name__)
    else:
        run.summary.deleted[BROKER_DEAD_LETTERS] = purged


def run_retention(
    engine: Engine,
    settings: Settings,
    *,
    broker: dramatiq.Broker | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    summary: MaintenanceSummary | None = None,
) -> MaintenanceSummary:
    """Deletes every table's rows past their retention and the broker's expired dead letters."""
    summary = summary or MaintenanceSummary(dry_run=dry_run, tasks=["retention"])
    run = RetentionRun(engine, summary, batch_size, should_stop)
    purge_tables(run, settings)
    if not summary.stopped:
        _dead_letters(run, settings, broker)
    return summary


def run_maintenance(
    engine: Engine,
    settings: Settings,
    *,
    tasks: Sequence[str] = TASKS,
    broker: dramatiq.Broker | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> MaintenanceSummary:
    """Runs ``tasks`` (retention, then vacuum); ``dry_run`` only counts what retention would delete."""
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown maintenance task(s) {unknown}; choose from {list(TASKS)}")
    summary = MaintenanceSummary(dry_run=dry_run, tasks=[t for t in TASKS if t in tasks])
    if "retention" in summary.tasks:
        if progress is not None:
            progress(0.0, "deleting rows past their retention")
        run_retention(
            engine,
            settings,
            broker=broker,
            batch_size=batch_size,
            dry_run=dry_run,
            should_stop=should_stop,
            summary=summary,
        )
    if "vacuum" in summary.tasks and not summary.stopped:
        if should_stop is not None and should_stop():
            summary.stopped = True
        elif not dry_run:
            if progress is not None:
                progress(60.0, f"vacuuming the {engine.dialect.name} store")
            summary.vacuumed = vacuum(engine)
    return summary
