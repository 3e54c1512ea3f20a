"""Every metric name marketjobs exports, in one place (base units: seconds, counts)."""

from __future__ import annotations

__all__ = [
    "ALERTS_FIRED",
    "ALERT_DELIVERY_FAILURES",
    "BAR_AGE",
    "BAR_NEWEST_AGE",
    "BAR_STALE_AFTER",
    "BAR_STALE_SYMBOLS",
    "BAR_SYMBOLS",
    "DEAD_LETTERS",
    "EXPORTER_SCRAPE_ERRORS",
    "EXPORTER_UP",
    "HEALTH_CHECK",
    "INDICATOR_COMPUTE_SECONDS",
    "INDICATOR_ROWS",
    "JOB_RECORDS",
    "JOB_TIME_LIMIT",
    "OLDEST_PENDING_AGE",
    "OLDEST_RUNNING_AGE",
    "OTHER_LABEL",
    "QUEUE_MESSAGES",
    "SCHEDULE_ENABLED",
    "SCHEDULE_ENQUEUED",
    "SCHEDULE_LAG",
    "SCHEDULE_LAST_TICK",
    "SCHEDULE_NEXT_RUN",
    "SIGNALS_DETECTED",
    "WORKERS",
    "WORKER_RSS_MAX",
]

#: The label value of every actor, queue or job type name that is not declared: these names come from message
#: data, and a sender must not be able to create series at will.
OTHER_LABEL = "other"

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
#: Worker processes in the registry, by ``pool`` ("none" when started by hand) and ``state``.
WORKERS = "marketjobs_workers"
#: Largest resident memory of a live worker process, by ``pool``, in bytes.
WORKER_RSS_MAX = "marketjobs_worker_rss_bytes_max"
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

# Running jobs and market data (monitoring.exporter).
#: Age of the oldest running job, by ``job_type``, in seconds (since its current attempt started).
OLDEST_RUNNING_AGE = "marketjobs_oldest_running_job_age_seconds"
#: The time limit a job type runs under, by ``job_type``, in seconds (the actor's, else the default).
JOB_TIME_LIMIT = "marketjobs_job_time_limit_seconds"
#: Seconds since each symbol's last bar, by ``symbol``; only the stalest symbols (the exporter's cap).
BAR_AGE = "marketjobs_bar_age_seconds"
#: Seconds since the newest bar of any symbol: the whole feed's freshness.
BAR_NEWEST_AGE = "marketjobs_bar_newest_age_seconds"
#: Symbols with at least one bar.
BAR_SYMBOLS = "marketjobs_bar_symbols"
#: Symbols whose last bar is older than the stale threshold.
BAR_STALE_SYMBOLS = "marketjobs_bar_stale_symbols"
#: The stale threshold the exporter applies, in seconds.
BAR_STALE_AFTER = "marketjobs_bar_stale_after_seconds"

# Health (monitoring.health), computed by the exporter at scrape time.
#: Each health check's status, by ``check``: 1 ok, 0.5 degraded, 0 unhealthy (``marketjobs health``).
HEALTH_CHECK = "marketjobs_health_check"
