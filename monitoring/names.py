"""Every metric name marketjobs exports, in one place (base units: seconds, counts)."""

from __future__ import annotations

__all__ = [
    "ALERTS_FIRED",
    "ALERT_DELIVERY_FAILURES",
    "INDICATOR_COMPUTE_SECONDS",
    "INDICATOR_ROWS",
    "SIGNALS_DETECTED",
    "DEAD_LETTERS",
    "EXPORTER_SCRAPE_ERRORS",
    "EXPORTER_UP",
    "JOB_RECORDS",
    "OLDEST_PENDING_AGE",
    "QUEUE_MESSAGES",
    "SCHEDULE_ENABLED",
    "SCHEDULE_ENQUEUED",
    "SCHEDULE_LAG",
    "SCHEDULE_LAST_TICK",
    "SCHEDULE_NEXT_RUN",
]

#: Messages a queue holds, by ``queue`` and ``state`` (ready, delayed, dead), as the broker reports them.
QUEUE_MESSAGES = "marketjobs_queue_messages"
#: Job records by ``job_type`` and ``status``.
JOB_RECORDS = "marketjobs_job_records"
#: Dead letters not yet retried, by ``job_type``.
DEAD_LETTERS = "marketjobs_dead_letters"
#: Age of the oldest pending job, by ``job_type``, in seconds.
OLDEST_PENDING_AGE = "marketjobs_oldest_pending_job_age_seconds"
#: 1 when the last scrape read the broker and the store, else 0.
EXPORTER_UP = "marketjobs_exporter_up"
#: Scrapes that failed to read the broker or the store.
EXPORTER_SCRAPE_ERRORS = "marketjobs_exporter_scrape_errors_total"
#: When each schedule last enqueued a tick (epoch seconds), by ``schedule``.
SCHEDULE_LAST_TICK = "marketjobs_schedule_last_tick_timestamp_seconds"
#: When each schedule runs next (epoch seconds), by ``schedule``.
SCHEDULE_NEXT_RUN = "marketjobs_schedule_next_run_timestamp_seconds"
#: How far past due each enabled schedule's next tick is, in seconds (0 while the scheduler keeps up).
SCHEDULE_LAG = "marketjobs_schedule_lag_seconds"
#: Messages each schedule has enqueued.
SCHEDULE_ENQUEUED = "marketjobs_schedule_enqueued_total"
#: 1 when the schedule is enabled.
SCHEDULE_ENABLED = "marketjobs_schedule_enabled"

# Worker-side domain metrics (monitoring.domain), served with the worker metrics.
#: Time spent computing indicators and patterns in one technical-analysis batch, in seconds.
INDICATOR_COMPUTE_SECONDS = "marketjobs_indicator_compute_seconds"
#: Bar rows indicators were computed over (one row per symbol and bar, whatever the number of indicators).
INDICATOR_ROWS = "marketjobs_indicator_rows_total"
#: Signal events stored, by ``signal``.
SIGNALS_DETECTED = "marketjobs_signals_detected_total"
#: Alert firings, by ``sink`` (log, webhook, mqtt) and ``rule_type``.
ALERTS_FIRED = "marketjobs_alerts_fired_total"
#: Alert deliveries that failed (to be retried), by ``sink``.
ALERT_DELIVERY_FAILURES = "marketjobs_alert_delivery_failures_total"
