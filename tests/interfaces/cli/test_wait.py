"""``--wait`` on ``enqueue``, ``import`` and ``pipeline`` with a real worker: progress on stderr, the result
on stdout, exit 0 when the jobs complete and 1 naming the job when one does not."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketjobs.store.migrate import upgrade
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A SQLite store and broker in a fresh directory, with one `marketjobs worker` running on it."""
    tmp = tmp_path_factory.mktemp("wait")
    store = f"sqlite:///{tmp}/store.db"
    upgrade(store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
    env.update(
        MARKETJOBS_DATABASE_URL=store,
        MARKETJOBS_BROKER_URL=store,
        MARKETJOBS_METRICS_PORT=str(free_port()),
        MARKETJOBS_RECORDS_FLUSH_SECONDS="0.05",
        PYTHONPATH=str(ROOT),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "marketjobs", "worker", "-p", "1", "-t", "2"],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield tmp, env
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(60)


def marketjobs(deployment: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    cwd, env = deployment
    return subprocess.run(
        [sys.executable, "-m", "marketjobs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.timeout(240)
def test_enqueue_wait_shows_progress_and_prints_the_result(deployment: tuple[Path, dict[str, str]]) -> None:
    result = marketjobs(deployment, "enqueue", "sleep", "-p", "seconds=0.4", "-p", "steps=2", "--wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "completed" in result.stdout
    assert "slept_seconds=0.4" in result.stdout
    assert "running 50% step 1/2" in result.stderr or "completed 100%" in result.stderr


@pytest.mark.timeout(240)
def test_enqueue_wait_json_prints_the_final_record(deployment: tuple[Path, dict[str, str]]) -> None:
    result = marketjobs(deployment, "enqueue", "noop", "--wait", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads(result.stdout)
    assert (record["job_type"], record["status"]) == ("noop", "completed")


@pytest.mark.timeout(240)
def test_a_job_that_dies_exits_1_naming_it_and_its_error(deployment: tuple[Path, dict[str, str]]) -> None:
    result = marketjobs(deployment, "enqueue", "fail", "-p", "reason=boom on purpose", "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: fail job ")
    assert "is dead after 3 attempt(s): RuntimeError: boom on purpose" in last
    assert "marketjobs jobs show" in last
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.timeout(240)
def test_import_wait_of_a_file_with_an_open_quote_fails_naming_the_line(
    deployment: tuple[Path, dict[str, str]],
) -> None:
    folder = deployment[0] / "var" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "AAPL.csv").write_text(
        'Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,"1,2,0.5,1.5\n2024-01-04,1,2,0.5,1.5\n'
    )
    result = marketjobs(deployment, "import", "var/imports/AAPL.csv", "--wait")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is dead after 1 attempt(s): BadBarFile: AAPL.csv line 3: a quote is not closed" in result.stderr


@pytest.mark.timeout(300)
def test_pipeline_wait_follows_every_step(deployment: tuple[Path, dict[str, str]]) -> None:
    result = marketjobs(
        deployment,
        "pipeline",
        "--source",
        "synthetic",
        "--symbols",
        "AAPL",
        "-o",
        "bars=30",
        "-i",
        "RSI_14",
        "--wait",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("price_update", "technical_analysis", "alerts"):
        assert any(line.startswith(step) and "completed" in line for line in result.stdout.splitlines()), step
