"""``marketjobs demo`` (what ``make run`` runs) end to end, with a small universe, in a fresh directory."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.servers import free_port, processes_with_env


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to look for leftover processes")
def test_demo_runs_the_pipeline_and_leaves_no_process_behind(tmp_path: Path) -> None:
    pytest.importorskip("bokeh_sampledata")
    marker = f"demo-test-{uuid.uuid4().hex}"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("MARKETJOBS_", "PROMETHEUS_"))
    }
    env.update(
        MARKETJOBS_TEST_MARKER=marker,
        MARKETJOBS_METRICS_PORT=str(free_port()),
        COLUMNS="160",
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
    )
    result = subprocess.run(
        [sys.executable, "-m", "marketjobs", "demo", "--universe", "12", "--threads", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "broker sqlite:///var/marketjobs.db" in output
    for expected in (
        "signals found:",
        "latest indicator snapshot",
        "alerts fired:",
        "portfolio",
        "sharpe_ratio",
        "jobs completed in",
        "marketjobs up",
    ):
        assert expected in output, f"{expected!r} missing from:\n{output}"
    for ticker in ("AAPL", "IBM", "MSFT", "GOOG"):
        assert ticker in output
    assert "SYN0012" in _symbols_stored(tmp_path)
    assert processes_with_env(marker) == [], "the demo left worker processes running"


def _symbols_stored(workdir: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(workdir / "var" / "marketjobs.db") as connection:
        return {row[0] for row in connection.execute("SELECT DISTINCT symbol FROM bars")}
