"""Every bad input a new user tries gets one to three lines naming the problem and the fix, not a traceback.

Each row runs the real command line in a subprocess: exit code 2 for usage and settings, 1 at run time; one to
three lines on stderr naming the problem and the fix; no ``Traceback``; and no secret from the input (the
URLs carry a known password) anywhere in the output. ``--debug`` shows the traceback, still redacted. The
workers say once per back-off step that a broker is down; ``marketjobs up`` names a child that cannot start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from marketjobs.store.migrate import upgrade
from tests.servers import SERVICES, free_port, require_service

ROOT = Path(__file__).resolve().parents[3]
#: The password in every URL of the matrix: it must never be printed.
SECRET = "S3cr3t-hunter2"
USAGE, RUNTIME = 2, 1
#: An environment value that removes the variable.
UNSET = "<unset>"


@dataclass(frozen=True)
class Case:
    """A command line, its environment (``{tmp}``, ``{busy}`` filled in), its exit code, what stderr says."""

    args: tuple[str, ...]
    code: int
    says: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    needs: str | None = None  # a server the case needs


CASES: dict[str, Case] = {
    # settings: URLs (the broker's and the store's), YAML files, environment values
    "database URL postgres://": Case(
        ("jobs", "list"),
        USAGE,
        ("MARKETJOBS_DATABASE_URL", "write postgresql://"),
        {"MARKETJOBS_DATABASE_URL": f"postgres://u:{SECRET}@127.0.0.1/db"},
    ),
    "database URL sqlit://": Case(
        ("jobs", "list"),
        USAGE,
        ("unsupported database URL scheme 'sqlit'", "sqlite://"),
        {"MARKETJOBS_DATABASE_URL": "sqlit:///var/x.db"},
    ),
    "database URL not a URL": Case(
        ("jobs", "list"),
        USAGE,
        ("MARKETJOBS_DATABASE_URL", "not a SQLAlchemy URL"),
        {"MARKETJOBS_DATABASE_URL": f"u:{SECRET}@db.example"},
    ),
    "broker URL reddis://": Case(
        ("queues",),
        USAGE,
        ("unsupported broker URL scheme 'reddis'", "redis://"),
        {"MARKETJOBS_BROKER_URL": f"reddis://:{SECRET}@127.0.0.1/0"},
    ),
    "broker URL postgres://": Case(
        ("queues",),
        USAGE,
        ("MARKETJOBS_BROKER_URL", "write postgresql://"),
        {"MARKETJOBS_BROKER_URL": f"postgres://u:{SECRET}@127.0.0.1/db"},
    ),
    "SQLite directory missing": Case(
        ("jobs", "list"),
        USAGE,
        ("typo of SQLite database", "does not exist; create it (mkdir -p"),
        {"MARKETJOBS_DATABASE_URL": "sqlite:///{tmp}/typo/store.db"},
    ),
    "YAML malformed": Case(
        ("-c", "{tmp}/bad.yaml", "jobs", "list"), USAGE, ("not valid YAML at line 2", "fix")
    ),
    "YAML top level a list": Case(
        ("-c", "{tmp}/list.yaml", "jobs", "list"), USAGE, ("holds a list at its top level", "log_level: INFO")
    ),
    "YAML unknown setting": Case(
        ("-c", "{tmp}/unknown.yaml", "jobs", "list"),
        USAGE,
        ("brokr_url: unknown setting", "known settings are"),
    ),
    "YAML bad URL": Case(
        ("-c", "{tmp}/secret.yaml", "jobs", "list"),
        USAGE,
        ("'database_url' in", "write postgresql://"),
        {"MARKETJOBS_DATABASE_URL": UNSET},
    ),
    "YAML binary": Case(("-c", "{tmp}/binary.yaml", "jobs", "list"), USAGE, ("cannot be read", "UTF-8 YAML")),
    "config is a directory": Case(("-c", "{tmp}", "jobs", "list"), USAGE, ("is a directory", "YAML file")),
    "config missing": Case(("-c", "{tmp}/nope.yaml", "jobs", "list"), USAGE, ("does not exist", "--config")),
    "env not a number": Case(
        ("jobs", "list"),
        USAGE,
        ("MARKETJOBS_WORKER_PROCESSES", "valid integer"),
        {"MARKETJOBS_WORKER_PROCESSES": "lots"},
    ),
    "env log level": Case(
        ("jobs", "list"), USAGE, ("MARKETJOBS_LOG_LEVEL", "'DEBUG'"), {"MARKETJOBS_LOG_LEVEL": "LOUD"}
    ),
    # options: sizes and ages from the command line are bounded
    "--since 99999999999d": Case(("jobs", "list", "--since", "99999999999d"), USAGE, ("too long", "36500d")),
    "--since soon": Case(("jobs", "list", "--since", "soon"), USAGE, ("is not an age", "30s, 15m")),
    "--older-than huge": Case(
        ("dlq", "purge", "--older-than", "99999999999999d", "--yes"), USAGE, ("too long",)
    ),
    "dlq list -n huge": Case(("dlq", "list", "-n", "9" * 23), USAGE, ("--limit", "100000")),
    "firings --limit huge": Case(("alerts", "firings", "--limit", "9" * 23), USAGE, ("--limit", "100000")),
    "jobs list -n huge": Case(("jobs", "list", "-n", "9" * 20), USAGE, ("--limit", "100000")),
    "cooldown huge": Case(
        (
            "alerts",
            "add",
            "x",
            "-s",
            "AAPL",
            "-t",
            "price_above",
            "--level",
            "1",
            "--cooldown",
            "9999999999999w",
        ),
        USAGE,
        ("too long",),
    ),
    "worker -p huge": Case(("worker", "-p", "9" * 20), USAGE, ("--processes", "256")),
    "exporter --port 0": Case(("exporter", "--port", "0"), USAGE, ("--port", "1")),
    "unknown command": Case(
        ("jobs", "lst"), USAGE, ("No such command 'lst'", "Did you mean 'list'", "--help")
    ),
    "unknown option": Case(
        ("jobs", "list", "--foo"), USAGE, ("No such option: --foo", "marketjobs jobs list --help")
    ),
    "purge without a queue": Case(("queues", "purge"), USAGE, ("Missing argument", "--help")),
    "purge an unknown queue": Case(
        ("queues", "purge", "nope", "--yes"), USAGE, ("no queue 'nope'", "price_update")
    ),
    "purge without --yes": Case(("queues", "purge", "diagnostics"), USAGE, ("add --yes",)),
    # job parameters are checked before sending, in the CLI's spelling
    "unknown job type": Case(("enqueue", "nope"), USAGE, ("unknown job type 'nope'", "data_import")),
    "parameter without =": Case(("enqueue", "sleep", "-p", "seconds"), USAGE, ("key=value", "--param")),
    "sleep seconds=-5": Case(
        ("enqueue", "sleep", "-p", "seconds=-5"), USAGE, ("seconds", "greater than or equal to 0")
    ),
    "sleep seconds=1e400": Case(
        ("enqueue", "sleep", "-p", "seconds=1e400"), USAGE, ("seconds", "finite number")
    ),
    "sleep unknown parameter": Case(
        ("enqueue", "sleep", "-p", "second=1"), USAGE, ("second", "not permitted")
    ),
    "import a missing path": Case(("import", "{tmp}/nope"), USAGE, ("does not exist", "--no-check")),
    "import a directory without CSV": Case(("import", "{tmp}/empty"), USAGE, ("holds no .csv", "--no-check")),
    "import --column without =": Case(
        ("import", "{tmp}/bars", "--column", "Date"), USAGE, ("--column Date=ts",)
    ),
    "alert on an unknown indicator": Case(
        (
            "alerts",
            "add",
            "x",
            "-s",
            "AAPL",
            "-t",
            "indicator_above",
            "--indicator",
            "nope_3",
            "--level",
            "1",
        ),
        USAGE,
        ("is not an indicator output", "rsi_14"),
    ),
    "pipeline unknown indicator": Case(
        ("pipeline", "--source", "synthetic", "-i", "RSX_14"), USAGE, ("unknown function 'rsx'", "RSI_14")
    ),
    "--timeout without --wait": Case(
        ("enqueue", "noop", "--timeout", "5"), USAGE, ("only applies with --wait",)
    ),
    # run time: servers down or refusing, a store not migrated, jobs and ports
    "PostgreSQL role missing": Case(
        ("jobs", "list"),
        RUNTIME,
        ("role 'nosuchrole' does not exist", "createuser"),
        {"MARKETJOBS_DATABASE_URL": f"postgresql://nosuchrole:{SECRET}@{{pg}}/postgres"},
        "postgres",
    ),
    "PostgreSQL database missing": Case(
        ("jobs", "list"),
        RUNTIME,
        ("'nosuchdb_20' does not exist", "createdb"),
        {"MARKETJOBS_DATABASE_URL": f"postgresql://postgres:{SECRET}@{{pg}}/nosuchdb_20"},
        "postgres",
    ),
    "PostgreSQL down": Case(
        ("jobs", "list"),
        RUNTIME,
        ("cannot reach the database", "Connection refused"),
        {"MARKETJOBS_DATABASE_URL": f"postgresql://u:{SECRET}@127.0.0.1:1/db"},
    ),
    "MariaDB password refused": Case(
        ("jobs", "list"),
        RUNTIME,
        ("refused the user or password",),
        {"MARKETJOBS_DATABASE_URL": f"mysql://nobody:{SECRET}@{{mariadb}}/test"},
        "mariadb",
    ),
    "Redis down (queues)": Case(
        ("queues",),
        RUNTIME,
        ("cannot reach Redis", "MARKETJOBS_BROKER_URL"),
        {"MARKETJOBS_BROKER_URL": f"redis://:{SECRET}@127.0.0.1:1/0"},
    ),
    "Redis down (enqueue)": Case(
        ("enqueue", "noop"),
        RUNTIME,
        ("Redis", "MARKETJOBS_BROKER_URL"),
        {"MARKETJOBS_BROKER_URL": f"redis://:{SECRET}@127.0.0.1:1/0"},
    ),
    "RabbitMQ down": Case(
        ("queues",),
        RUNTIME,
        ("cannot reach RabbitMQ", "MARKETJOBS_BROKER_URL"),
        {"MARKETJOBS_BROKER_URL": f"amqp://u:{SECRET}@127.0.0.1:1/"},
    ),
    "RabbitMQ password refused": Case(
        ("queues",),
        RUNTIME,
        ("refused the user or password",),
        {"MARKETJOBS_BROKER_URL": f"amqp://nobody:{SECRET}@{{rabbitmq}}/%2F"},
        "rabbitmq",
    ),
    "store not migrated": Case(
        ("jobs", "list"),
        RUNTIME,
        ("revision none", "marketjobs db upgrade"),
        {"MARKETJOBS_DATABASE_URL": "sqlite:///{tmp}/fresh.db"},
    ),
    "job not found": Case(("jobs", "show", "nope"), RUNTIME, ("no job nope", "marketjobs jobs list")),
    "cancel not found": Case(("jobs", "cancel", "nope"), RUNTIME, ("no job nope",)),
    "--wait --timeout": Case(
        ("enqueue", "noop", "--wait", "--timeout", "1"),
        RUNTIME,
        ("still", "after the --timeout", "marketjobs jobs show"),
    ),
    "exporter port taken": Case(
        ("exporter", "--port", "{busy}"), RUNTIME, ("port {busy} on 127.0.0.1", "--port")
    ),
    "supervisor metrics port taken": Case(
        ("supervisor", "--duration", "5"),
        RUNTIME,
        ("port {busy} on 127.0.0.1 is already in use", "MARKETJOBS_METRICS_PORT"),
        {"MARKETJOBS_METRICS_PORT": "{busy}"},
    ),
    "worker metrics port taken": Case(
        ("worker",),
        RUNTIME,
        ("already in use", "MARKETJOBS_METRICS_PORT"),
        {"MARKETJOBS_METRICS_PORT": "{busy}"},
    ),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a migrated store and the bad files of the matrix."""
    tmp = tmp_path_factory.mktemp("errors")
    upgrade(f"sqlite:///{tmp}/store.db")
    (tmp / "bad.yaml").write_text("log_level: [INFO\n")
    (tmp / "list.yaml").write_text("- log_level\n- INFO\n")
    (tmp / "unknown.yaml").write_text("brokr_url: stub://\n")
    (tmp / "secret.yaml").write_text(f"database_url: postgres://u:{SECRET}@127.0.0.1/db\n")
    (tmp / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01log_level: INFO\x00")
    (tmp / "empty").mkdir()
    (tmp / "bars").mkdir()
    (tmp / "bars" / "AAPL.csv").write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n")
    return tmp


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on."""
    port = free_port()
    with socket.create_server(("127.0.0.1", port)):
        yield port


def environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
    store = f"sqlite:///{tmp}/store.db"
    env.update(
        MARKETJOBS_DATABASE_URL=store,
        MARKETJOBS_BROKER_URL=store,
        MARKETJOBS_METRICS_PORT=str(free_port()),
        PYTHONPATH=str(ROOT),
        COLUMNS="80",
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v != UNSET}


def server(name: str) -> str:
    host, port, _ = SERVICES[name]
    return f"{host}:{port}"


def fill(text: str, tmp: Path, busy: int) -> str:
    return (
        text.replace("{tmp}", str(tmp))
        .replace("{busy}", str(busy))
        .replace("{pg}", server("postgres"))
        .replace("{mariadb}", server("mariadb"))
        .replace("{rabbitmq}", server("rabbitmq"))
    )


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marketjobs", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_input_gets_a_short_error_that_names_the_fix(
    name: str, workspace: Path, busy_port: int
) -> None:
    case = CASES[name]
    if case.needs:
        require_service(case.needs)
    env = environment(workspace, **{k: fill(v, workspace, busy_port) for k, v in case.env.items()})
    result = run([fill(a, workspace, busy_port) for a in case.args], env, workspace)
    output = result.stdout + result.stderr
    assert result.returncode == case.code, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 3, result.stderr
    for phrase in case.says:
        assert fill(phrase, workspace, busy_port) in result.stderr, result.stderr
    assert "Traceback" not in output
    assert SECRET not in output


def test_debug_shows_the_traceback_without_the_secret(workspace: Path) -> None:
    env = environment(workspace, MARKETJOBS_DATABASE_URL=f"postgresql://u:{SECRET}@127.0.0.1:1/db")
    for args, extra in ((["--debug", "jobs", "list"], {}), (["jobs", "list"], {"MARKETJOBS_DEBUG": "1"})):
        result = run(args, {**env, **extra}, workspace)
        assert result.returncode == RUNTIME
        assert "Traceback (most recent call last)" in result.stderr
        assert result.stderr.rstrip().splitlines()[-1].startswith("error: cannot reach the database")
        assert SECRET not in result.stdout + result.stderr


@pytest.mark.timeout(120)
def test_a_worker_whose_broker_is_down_says_so_once_per_back_off_step(workspace: Path) -> None:
    env = environment(workspace, MARKETJOBS_BROKER_URL=f"redis://:{SECRET}@127.0.0.1:1/0")
    worker = subprocess.Popen(
        [sys.executable, "-m", "marketjobs", "worker", "-p", "1", "-t", "1"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    said: list[str] = []
    stderr = worker.stderr
    assert stderr is not None
    threading.Thread(target=lambda: said.extend(iter(stderr.readline, "")), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while len(said) < 3 and time.monotonic() < deadline:  # steps of 1, 2 and 4 s
            time.sleep(0.2)
        time.sleep(2)
        assert worker.poll() is None, "the worker gave up instead of waiting"
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        stdout = worker.communicate(timeout=30)[0]
    lines = [line.strip() for line in said if line.strip()]
    assert 3 <= len(lines) <= 4, lines  # 1, 2, 4 (and 8) s: one line each
    assert all("cannot reach Redis at redis://:***@127.0.0.1:1/0" in line for line in lines), lines
    assert all("MARKETJOBS_BROKER_URL" in line and "retrying in" in line for line in lines), lines
    assert not any("CRITICAL" in line or "Traceback" in line for line in said)
    assert SECRET not in stdout + "".join(said)


@pytest.mark.timeout(180)
def test_up_names_the_supervisor_when_the_metrics_port_is_taken(workspace: Path, busy_port: int) -> None:
    env = environment(workspace, MARKETJOBS_METRICS_PORT=str(busy_port))
    result = subprocess.run(
        [sys.executable, "-m", "marketjobs", "up", "--no-scheduler", "--no-api",
         "--exporter-port", str(free_port()), "--processes", "1", "--threads", "1", "--duration", "60"],
        cwd=workspace, env=env, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == RUNTIME, output
    assert f"port {busy_port} on 127.0.0.1 is already in use" in result.stderr
    assert "error: supervisor exited with code 1 right after starting" in result.stderr
    assert "Traceback" not in output
