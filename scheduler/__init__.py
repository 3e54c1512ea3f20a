"""Recurring work: schedule spellings (cron, @macros, plain English) with timezones, a pure next-run
function, and periodiq ``cron()`` specs that fire on Sundays. The leader-locked scheduler process is to come.

>>> from scheduler.spec import parse_schedule
>>> parse_schedule("every Monday at 9:00", timezone="America/New_York").cron
'0 9 * * 1'
"""
