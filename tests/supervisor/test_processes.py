"""Pool processes with real child processes: crash back-off, the crash-loop stop, and draining."""

from __future__ import annotations

import sys
import time

from marketjobs.config import PoolSettings
from supervisor.processes import CRASH_WINDOW_SECONDS, MAX_CRASHES, PoolProcesses


def _pool(code: str) -> PoolProcesses:
    return PoolProcesses("p", PoolSettings(min=1, max=1), [sys.executable, "-c", code], {})


def _wait_exit(pool: PoolProcesses) -> None:
    for worker in pool.processes:
        worker.process.wait(10)


def test_quick_crashes_back_off_doubling_and_a_crash_loop_is_reported_not_restarted() -> None:
    pool = _pool("import sys; sys.exit(3)")
    now = 1000.0
    holds = []
    for _ in range(MAX_CRASHES):
        assert pool.start(now) is not None
        _wait_exit(pool)
        [(_worker, code, expected)] = pool.reap(now + 1)
        assert (code, expected) == (3, False)
        holds.append(pool.hold_until - (now + 1))
        now = pool.hold_until
    assert holds[:4] == [1.0, 2.0, 4.0, 8.0]
    assert pool.failing is not None
    assert "5 worker processes in a row exited within" in pool.failing
    assert pool.start(now + 3600) is None  # reported, not restarted forever


def test_a_process_that_outlives_the_crash_window_resets_the_count() -> None:
    pool = _pool("import time; time.sleep(30)")
    pool.crashes = 3
    worker = pool.start(0.0)
    assert worker is not None
    try:
        assert pool.reap(CRASH_WINDOW_SECONDS + 1) == []
        assert pool.crashes == 0
    finally:
        pool.kill_all()


def test_a_drained_process_exits_as_expected_and_counts_no_crash() -> None:
    code = "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); time.sleep(30)"
    pool = _pool(code)
    worker = pool.start(time.monotonic())
    assert worker is not None
    time.sleep(0.5)  # the handler is installed
    worker.drain("scale_down")
    _wait_exit(pool)
    [(done, exit_code, expected)] = pool.reap(time.monotonic())
    assert (exit_code, expected, done.draining) == (0, True, "scale_down")
    assert pool.crashes == 0
