"""Real servers the tests may use: skipped when absent on a laptop, a failure when CI=true."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

__all__ = [
    "SERVICES",
    "free_port",
    "processes_with_env",
    "require_service",
    "require_tool",
    "service_available",
]

#: name -> (host, port, URL tests use)
#: ``MARKETJOBS_TEST_<NAME>_URL`` overrides a URL, e.g. a database of one's own so that two test runs on one
#: machine do not drop each other's tables.
SERVICES: dict[str, tuple[str, int, str]] = {
    name: (host, port, os.environ.get(f"MARKETJOBS_TEST_{name.upper()}_URL", url))
    for name, (host, port, url) in {
        "redis": ("127.0.0.1", 6379, "redis://127.0.0.1:6379/15"),
        "rabbitmq": ("127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672/%2F"),
        "postgres": ("127.0.0.1", 5432, "postgresql://postgres@127.0.0.1:5432/test"),
        "mariadb": ("127.0.0.1", 3306, "mysql://root@127.0.0.1:3306/test"),
        "mosquitto": ("127.0.0.1", 1883, "mqtt://127.0.0.1:1883"),
    }.items()
}

_checked: dict[str, bool] = {}


def service_available(name: str) -> bool:
    """True when the service's port accepts a TCP connection."""
    if name not in _checked:
        host, port, _ = SERVICES[name]
        try:
            with socket.create_connection((host, port), timeout=1.0):
                _checked[name] = True
        except OSError:
            _checked[name] = False
    return _checked[name]


def require_service(name: str) -> str:
    """The service's URL; skips the test when it is absent, fails it when CI=true."""
    host, port, url = SERVICES[name]
    if not service_available(name):
        message = f"{name} is not reachable at {host}:{port}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI=true requires every service")
        pytest.skip(f"{message}; start it to run this test")
    return url


def require_tool(name: str, package: str = "prometheus") -> str:
    """The path of command ``name`` (e.g. promtool, from Debian ``package``); skips when absent on a laptop,
    fails when CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI=true requires it (.ci/run installs it with apt-get)")
        pytest.skip(f"{message}; install it (Debian: apt-get install {package}) to run this test")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes_with_env(marker: str) -> list[int]:
    """Pids of live processes (other than this one) whose environment holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
