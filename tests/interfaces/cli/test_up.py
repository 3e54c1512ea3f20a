"""``marketjobs up``: workers, scheduler and exporter as one supervised stack that stops as a whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.servers import free_port, processes_with_env


def _env(marker: str, metrics_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
    env.update(MARKETJOBS_TEST_MARKER=marker, MARKETJOBS_METRICS_PORT=str(metrics_port), COLUMNS="160")
    return env


def _scrape(port: int, path: str = "/metrics") -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to look for leftover processes")
def test_up_serves_metrics_and_the_api_and_sigterm_stops_every_child(tmp_path: Path) -> None:
    marker = f"up-test-{uuid.uuid4().hex}"
    metrics_port, exporter_port, api_port = free_port(), free_port(), free_port()
    up = subprocess.Popen(
        [
            sys.executable, "-m", "marketjobs", "up",
            "--processes", "1", "--threads", "1", "--exporter-port", str(exporter_port),
            "--api-port", str(api_port),
        ],
        cwd=tmp_path,
        env=_env(marker, metrics_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: (_scrape(exporter_port) or "").find("marketjobs_exporter_up 1.0") >= 0, timeout=60)
        wait_until(lambda: "marketjobs_worker_up" in (_scrape(metrics_port) or ""), timeout=60)
        wait_until(lambda: '"status"' in (_scrape(api_port, "/healthz") or ""), timeout=60)
        assert (tmp_path / "var" / "incoming").is_dir()  # the default price_update schedule's drop folder
        # up, the supervisor, the dramatiq master and its worker, scheduler, exporter, api
        assert len(processes_with_env(marker)) >= 6
        up.send_signal(signal.SIGTERM)
        output, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, output
    assert "press Ctrl-C to stop" in output
    assert f"api: http://127.0.0.1:{api_port}/" in output
    assert "stopped" in output
    deadline = time.monotonic() + 5
    while processes_with_env(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with_env(marker) == [], "marketjobs up left processes running"


def test_up_reports_a_child_that_cannot_start(tmp_path: Path) -> None:
    busy = free_port()
    with __import__("socket").create_server(("127.0.0.1", busy)):  # the exporter's port is taken
        result = subprocess.run(
            [sys.executable, "-m", "marketjobs", "up", "--no-scheduler", "--exporter-port", str(busy),
             "--no-api", "--processes", "1", "--threads", "1", "--duration", "60"],
            cwd=tmp_path,
            env=_env(f"up-test-{uuid.uuid4().hex}", free_port()),
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "exporter exited with code" in result.stderr  # the error line
    assert "fix it and run `marketjobs up` again" in result.stderr
    assert f"port {busy} on 127.0.0.1 is already in use" in result.stderr  # the exporter's own line
    assert "Traceback" not in result.stdout + result.stderr
    assert "stopped" in result.stdout


@pytest.mark.timeout(300)
def test_a_pipeline_under_up_logs_no_warning_or_error_for_jobs_that_succeed(tmp_path: Path) -> None:
    import json

    from marketjobs.jobs import get_job
    from marketjobs.store.engine import create_store_engine

    env = _env(f"up-test-{uuid.uuid4().hex}", free_port())
    log = tmp_path / "up.log"
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "marketjobs", "up", "--no-scheduler", "--no-exporter", "--no-api",
             "--processes", "1", "--threads", "2"],
            cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        wait_until(lambda: "Worker process is ready for action" in log.read_text(), timeout=90)
        sent = subprocess.run(
            [sys.executable, "-m", "marketjobs", "pipeline", "--source", "synthetic", "--symbols", "AAA,BBB",
             "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        ids = json.loads(sent.stdout)
        engine = create_store_engine(f"sqlite:///{tmp_path / 'var' / 'marketjobs.db'}")

        def all_completed() -> bool:
            try:
                return all(get_job(engine, job_id).status == "completed" for job_id in ids.values())
            except Exception:
                return False

        wait_until(all_completed, timeout=120)
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=120)
    finally:
        if up.poll() is None:
            up.kill()
    noisy = [
        line
        for line in log.read_text().splitlines()
        if " WARNING " in line or " ERROR " in line or "[WARNING]" in line or "[ERROR]" in line
    ]
    assert noisy == [], "\n".join(noisy)
