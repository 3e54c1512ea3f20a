"""Tests of the scheduler: schedule spellings, pure next-run times, periodiq compatibility."""
