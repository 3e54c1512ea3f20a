"""Helpers of the live monitoring test: the Prometheus HTTP API, processes, the test's scrape config."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "PROMETHEUS_DIR",
    "REPO",
    "api",
    "prometheus_config",
    "query",
    "start_process",
    "stop_process",
    "values",
]

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "monitoring" / "prometheus"
#: Seconds between scrapes and between rule evaluations.
INTERVAL_SECONDS = 1


def query(url: str, expr: str) -> list[dict[str, Any]]:
    """An instant query's series."""
    params = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def api(url: str, path: str) -> Any:
    """The ``data`` of a Prometheus HTTP API answer."""
    with urllib.request.urlopen(f"{url}/api/v1/{path}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def values(url: str, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
    """``expr``'s series as label values -> value; empty while Prometheus is unreachable."""
    try:
        result = query(url, expr)
    except OSError:
        return {}
    return {tuple(s["metric"].get(label, "") for label in labels): float(s["value"][1]) for s in result}


def start_process(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """A process in its own session, so that stopping it stops its children (dramatiq's workers) too."""
    return subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL if it has not exited after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def prometheus_config(tmp_path: Path, exporter_port: int, worker_port: int) -> Path:
    """The shipped prometheus.yml with 1 s intervals, the shipped rules and this test's targets."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] = {
        "scrape_interval": f"{INTERVAL_SECONDS}s",
        "evaluation_interval": f"{INTERVAL_SECONDS}s",
    }
    config["rule_files"] = [str(PROMETHEUS_DIR / rules) for rules in config["rule_files"]]
    ports = {"marketjobs-exporter": exporter_port, "marketjobs-workers": worker_port}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path
