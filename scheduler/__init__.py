"""Recurring work: periodiq schedules and the leader-locked scheduler process (not built yet)."""
