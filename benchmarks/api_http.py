"""The jobs list end to end for benchmarks/api.py: a real ``marketjobs api`` (uvicorn) and an httpx client.

Each query becomes the request the operator page or a script would send: ``GET /api/jobs`` with the filter
as query parameters, or the dry run of a bulk retry (``POST /api/bulk/retry``) for a count.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from marketjobs.store.job_search import Cursor, JobFilter

__all__ = ["request", "serve_api"]

ROOT = Path(__file__).resolve().parent.parent
#: Seconds the API has to answer /healthz after it starts.
START_TIMEOUT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_api(database_url: str) -> Iterator[httpx.Client]:
    """A client of ``marketjobs api`` serving ``database_url`` with an operator token, for the block."""
    token, port = secrets.token_urlsafe(24), _free_port()
    tokens = [{"name": "bench", "role": "operator", "sha256": hashlib.sha256(token.encode()).hexdigest()}]
    env = os.environ | {
        "MARKETJOBS_DATABASE_URL": database_url,
        "MARKETJOBS_BROKER_URL": "stub://",
        "MARKETJOBS_API_TOKENS": json.dumps(tokens),
    }
    command = [sys.executable, "-m", "marketjobs", "api", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    error = (
                        server.stderr.read().decode() if server.stderr and server.poll() is not None else ""
                    )
                    raise SystemExit(
                        f"api benchmark: marketjobs api did not start at {base}\n{error[-2000:]}"
                    )
                time.sleep(0.2)
            yield client
    finally:
        server.terminate()
        server.wait(30)


def _params(job_filter: JobFilter, after: Cursor | None) -> list[tuple[str, Any]]:
    params: list[tuple[str, Any]] = []
    for name, values in (
        ("status", job_filter.statuses),
        ("job_type", job_filter.job_types),
        ("queue", job_filter.queues),
        ("priority", job_filter.priorities),
    ):
        params += [(name, value) for value in values]
    for name, value in (
        ("since_ms", job_filter.since_ms),
        ("until_ms", job_filter.until_ms),
        ("worker", job_filter.worker),
        ("q", job_filter.text),
    ):
        if value is not None:
            params.append((name, value))
    if after is not None:
        from interfaces.api.filters import encode_cursor

        params.append(("cursor", encode_cursor(*after)))
    return params


def request(
    client: httpx.Client, job_filter: JobFilter, *, after: Cursor | None, count: bool, limit: int
) -> int:
    """Sends the request for the query; returns the jobs listed (or counted)."""
    params = _params(job_filter, after)
    if count:
        response = client.post("/api/bulk/retry", params=[*params, ("dry_run", "true")])
        response.raise_for_status()
        return int(response.json()["matched"])
    response = client.get("/api/jobs", params=[*params, ("limit", limit)])
    response.raise_for_status()
    return len(response.json()["jobs"])
