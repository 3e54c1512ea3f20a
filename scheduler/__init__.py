"""Recurring work: schedule spellings (cron, @macros, plain English) with timezones, a pure next-run
function, schedules declared on actors with a periodiq-compatible ``cron()`` that fires on Sundays, and the
leader-locked scheduler process that runs them (``marketjobs scheduler``).

>>> from scheduler.spec import parse_schedule
>>> parse_schedule("every Monday at 9:00", timezone="America/New_York").cron
'0 9 * * 1'
"""
