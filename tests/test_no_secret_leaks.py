"""Secrets never leak (issue 17): one known password in every secret-bearing setting, and nothing a user can
see shows it.

The deployment under test puts :data:`SECRET` in the store's and the broker's URL (PostgreSQL, whose trust
authentication ignores it), the MQTT URL, an HTTP bar source's headers (as is and through ``${NAME}``) and
query, a webhook URL's query, a schedule's parameters and the API token (hashed in the settings); the
payload encryption key, :data:`ENCRYPTION_KEY`, is a second secret. A local bar vendor and webhook receiver
echo the credentials they get back in their answers, as careless servers do. Then:

- one process (:func:`drive`) runs every command of the ``marketjobs`` app, found by walking the app, with
  ``--help``, and the :data:`REAL_RUNS` with a worker: jobs whose parameters hold the password, that fail
  with it in their error, a pipeline through the echoing vendor and webhook; each command's stdout and
  stderr and the process' DEBUG log must hold neither secret, and every command must be run for real here
  or be named in :data:`RUN_ELSEWHERE`;
- settings errors, servers that refuse or are down (the password in the URL) and a store whose password is
  in the URL's query, each command in its own process;
- ``marketjobs up`` (supervisor, workers, scheduler, exporter, API) at DEBUG, and the API's answers;
- the store: every column of every table, where the password may only be where a job needs it to run again
  (job parameters, a schedule's parameters, the rule's webhook URL).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import traceback
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from tests.conftest import reset_database, wait_until
from tests.servers import free_port, require_service

ROOT = Path(__file__).resolve().parents[1]
#: The known password: in every secret-bearing setting, and never in anything a user sees.
SECRET = "Kn0wnPw-issue17-x9Q"
#: The payload encryption key (base64 of 32 bytes): a secret too.
ENCRYPTION_KEY = base64.b64encode(hashlib.sha256(b"marketjobs issue 17").digest()).decode()
SECRETS = (SECRET, ENCRYPTION_KEY)
#: The error of the failing job: a URL with the password, and the password in a repr of parameters.
FAILURE = f"cannot reach postgresql://app:{SECRET}@db.internal/prod; sent {{'token': '{SECRET}'}}"
#: Options of the HTTP source that keep its rate limit out of the way.
FAST_SOURCE = {"requests_per_minute": 60_000, "burst": 100}
#: Where the store may keep the password: what a job, a schedule or a webhook needs to run again.
STORED_ON_PURPOSE = {("job_records", "parameters"), ("schedules", "kwargs"), ("alert_rules", "webhook_url")}


@dataclass(frozen=True)
class Run:
    """A command line after ``marketjobs`` and the exit codes it may end with. ``{hook}`` and ``{imports}``
    are filled in; ``{job:TYPE:STATUS}`` is the newest such job; ``{each-job}`` repeats the run per job."""

    args: tuple[str, ...]
    codes: tuple[int, ...] = (0,)


#: Starts and stops the worker of the sweep process (not commands).
START_WORKER, STOP_WORKER = Run(("<start worker>",)), Run(("<stop worker>",))

#: Every command run for real by :func:`drive`, in order, against the deployment's store and broker.
REAL_RUNS: tuple[Run, ...] = (
    Run(("db", "upgrade")),
    Run(("db", "current")),
    Run(("alerts", "add", "leak-hook", "-s", "AAPL", "-t", "price_above", "--level", "1", "--sink", "webhook",
         "--sink", "mqtt", "--sink", "log", "--webhook-url", "{hook}", "--json")),
    Run(("alerts", "add", "spare", "-s", "MSFT", "-t", "price_below", "--level", "1")),
    Run(("alerts", "disable", "spare")),
    Run(("alerts", "enable", "spare")),
    Run(("alerts", "list")),
    Run(("alerts", "list", "--json")),
    Run(("portfolios", "add", "book", "-p", "AAPL=10@100", "-b", "IMP")),
    Run(("portfolios", "list")),
    Run(("portfolios", "show", "book", "--json")),
    Run(("schedules", "list")),
    Run(("schedules", "list", "--json")),
    Run(("schedules", "disable", "leak-probe")),
    Run(("schedules", "enable", "leak-probe")),
    # refused before anything is sent: the errors name the parameter, never its value
    Run(("enqueue", "sleep", "-p", "seconds=0", "-p", f"password={SECRET}"), (2,)),
    Run(("enqueue", "noop", "-p", f"token:{SECRET}"), (2,)),
    Run(("enqueue", "no_such_job", "-p", f"token={SECRET}"), (2,)),
    Run(("pipeline", "--source", "vendor", "-o", f"base_url=https://u:{SECRET}@evil.example"), (2,)),
    Run(("alerts", "add", "bad", "-s", "AAPL", "-t", "price_above", "--level", "1", "--webhook-url",
         f"https://hooks.example/x?token={SECRET}"), (2,)),
    START_WORKER,
    Run(("enqueue", "noop", "-p", f"token={SECRET}", "--wait", "--timeout", "60"), (1,)),
    Run(("enqueue", "fail", "-p", f"reason={FAILURE}", "--wait", "--timeout", "60"), (1,)),
    Run(("schedules", "run-now", "leak-probe", "--json")),
    Run(("import", "{imports}/imp.csv", "--symbol", "IMP", "--wait", "--timeout", "60")),
    # AAPL is stored; the vendor answers ECHO and DENY with the credentials; the webhook refuses the alert
    Run(("pipeline", "--source", "vendor", "--symbols", "AAPL,ECHO,DENY",
         *(f"-o{k}={v}" for k, v in FAST_SOURCE.items()), "--wait", "--timeout", "90"), (1,)),
    Run(("enqueue", "price_update", "-p", "source=vendor", "-p", 'symbols=["ECHO", "DENY"]', "-p",
         f"options={json.dumps(FAST_SOURCE)}", "--wait", "--timeout", "60"), (1,)),
    Run(("dlq", "retry", "{job:noop:dead}", "--json")),
    Run(("scheduler", "--once")),
    STOP_WORKER,
    Run(("enqueue", "sleep", "-p", "seconds=0", "--json")),
    Run(("jobs", "cancel", "{job:sleep:pending}")),
    Run(("queues", "purge", "diagnostics", "--yes")),
    Run(("exporter", "--once")),
    Run(("health",), (0, 1, 2)),
    Run(("health", "--json"), (0, 1, 2)),
    Run(("workers",)),
    Run(("workers", "--all", "--json")),
    Run(("queues",)),
    Run(("queues", "--all", "--json")),
    Run(("jobs", "list")),
    Run(("jobs", "list", "--json", "-n", "1000")),
    Run(("jobs", "show", "{each-job}")),
    Run(("jobs", "show", "{each-job}", "--json")),
    Run(("--debug", "jobs", "show", "no-such-job"), (1,)),
    Run(("jobs", "stats")),
    Run(("jobs", "stats", "--json", "--buckets", "2")),
    Run(("dlq", "list")),
    Run(("dlq", "list", "--json")),
    Run(("dlq", "purge", "--older-than", "1w", "--yes")),
    Run(("alerts", "firings")),
    Run(("alerts", "firings", "--json")),
    Run(("alerts", "remove", "spare")),
    Run(("api-token", "--name", "leak-test")),
    Run(("enqueue", "fail", "-p", f"reason={FAILURE}", "--json")),  # for the workers of `up`
)  # fmt: skip

#: Commands not run by :func:`drive` (which runs no server and does not exec), and where they run instead.
RUN_ELSEWHERE = {
    ("up",): "test_up_and_the_api_show_no_secret",
    ("supervisor",): "a child of `up`",
    ("api",): "a child of `up`",
    ("worker",): "OWN_PROCESS_CASES (it waits for a broker that is down, then would exec dramatiq)",
    ("demo",): "--help only: minutes of its own universe; `up` and the sweep's worker run the same jobs",
}


@dataclass(frozen=True)
class OwnProcess:
    """A command in its own process with settings overridden by the environment; ``until`` ends one that
    runs on (it is stopped once its output holds this text)."""

    args: tuple[str, ...]
    env: dict[str, str]
    until: str | None = None


#: A port nothing listens on.
CLOSED_PORT = free_port()
#: Settings errors, servers that refuse or are down, and brokers and a store with the password elsewhere.
OWN_PROCESS_CASES = {
    "database URL postgres://": OwnProcess(
        ("jobs", "list"), {"MARKETJOBS_DATABASE_URL": f"postgres://app:{SECRET}@127.0.0.1/db"}
    ),
    "database down": OwnProcess(
        ("--debug", "jobs", "list"),
        {"MARKETJOBS_DATABASE_URL": f"postgresql://app:{SECRET}@127.0.0.1:{CLOSED_PORT}/db"},
    ),
    "Redis with a password": OwnProcess(
        ("--debug", "queues"), {"MARKETJOBS_BROKER_URL": f"redis://:{SECRET}@127.0.0.1:6379/15"}
    ),
    "Redis password in the query": OwnProcess(
        ("health", "--json"), {"MARKETJOBS_BROKER_URL": f"redis://127.0.0.1:6379/15?password={SECRET}"}
    ),
    "RabbitMQ refuses the password": OwnProcess(
        ("queues",), {"MARKETJOBS_BROKER_URL": f"amqp://guest:{SECRET}@127.0.0.1:5672/%2F"}
    ),
    "worker waits for a broker that is down": OwnProcess(
        ("worker", "-p", "1"),
        {"MARKETJOBS_BROKER_URL": f"postgresql://app:{SECRET}@127.0.0.1:{CLOSED_PORT}/db"},
        until="retrying in",
    ),
    "store password in the query: db upgrade": OwnProcess(
        ("db", "upgrade"), {"MARKETJOBS_DATABASE_URL": "{query-url}"}
    ),
    "store password in the query: health": OwnProcess(
        ("health", "--json"), {"MARKETJOBS_DATABASE_URL": "{query-url}"}
    ),
}


def leaks(text: str) -> list[str]:
    """The lines of ``text`` holding a secret."""
    return [line for line in text.splitlines() if any(secret in line for secret in SECRETS)]


# -- the bar vendor and webhook receiver --------------------------------------------------------------------


class _Echoing(BaseHTTPRequestHandler):
    """GET /bars: bars for most symbols; ECHO gets a JSON error and DENY a 401 quoting the credentials.
    POST /hook: 400 quoting the request line (with the webhook's token)."""

    server: _EchoServer

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        symbol, key = query.get("symbol", [""])[0], query.get("apikey", [""])[0]
        headers = self.headers
        credentials = f"{headers.get('Authorization')}, key {headers.get('X-Api-Key')}, apikey {key}"
        self.server.seen.append(f"GET {self.path} {credentials}")
        if symbol == "DENY":
            self._answer(401, f"bad credentials {credentials}")
        elif symbol == "ECHO":
            self._answer(200, json.dumps({"error": f"unknown apikey {key} ({credentials})"}))
        else:
            start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=120)
            bars = [
                {"ts": (start + timedelta(days=i)).isoformat(), "open": 100 + i, "high": 102 + i,
                 "low": 99 + i, "close": 101 + i, "volume": 1000 + i}
                for i in range(120)
            ]  # fmt: skip
            self._answer(200, json.dumps(bars))

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(f"POST {self.path}")
        self._answer(400, f"no hook at {self.path}")

    def _answer(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body[:1] in "[{" else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _EchoServer(ThreadingHTTPServer):
    seen: list[str]


# -- the deployment -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """Where every process runs, its environment, the store's URL (with the password) and the echo server."""

    root: Path
    env: dict[str, str]
    database_url: str
    api_port: int
    server: _EchoServer

    def marketjobs(self, *args: str) -> list[str]:
        """The command line of ``marketjobs ARGS``."""
        return [sys.executable, "-m", "marketjobs", *args]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """A fresh store on PostgreSQL and the settings with the password everywhere."""
    database_url = make_url(require_service("postgres")).set(password=SECRET).render_as_string(False)
    reset_database(database_url)
    root = tmp_path_factory.mktemp("leaks")
    (root / "imports").mkdir()
    (root / "imports" / "imp.csv").write_text(
        "ts,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,120\n"
    )
    server = _EchoServer(("127.0.0.1", 0), _Echoing)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    api_port = free_port()
    settings = {
        "database_url": database_url,
        "broker_url": database_url,
        "mqtt_url": f"mqtt://alerts:{SECRET}@127.0.0.1:1883",
        "sources": {
            "vendor": {
                "base_url": base,
                "headers": {"Authorization": f"Bearer {SECRET}", "X-Api-Key": "${VENDOR_KEY}"},
                "query": {"apikey": SECRET},
            }
        },
        "http_allowed_hosts": ["127.0.0.1"],
        "api_tokens": [
            {"name": "leak-test", "role": "operator", "sha256": hashlib.sha256(SECRET.encode()).hexdigest()}
        ],
        "encryption_keys": [{"id": "k1", "key": ENCRYPTION_KEY}],
        "schedules": [
            {"name": "leak-probe", "schedule": "@daily", "actor": "fail", "kwargs": {"reason": FAILURE}}
        ],
        "import_roots": [str(root / "imports")],
        "reports_dir": str(root / "reports"),
        "log_level": "DEBUG",
        "records_flush_seconds": 0.02,
        "cancel_poll_seconds": 0.1,
        "progress_interval_seconds": 0.0,
        "min_backoff_seconds": 0.05,
        "max_backoff_seconds": 0.2,
        "max_retries": 1,
        "heartbeat_seconds": 1.0,
        "supervisor_interval_seconds": 0.5,
        "metrics_port": free_port(),
        "api_port": api_port,
    }
    config = root / "marketjobs.yaml"
    config.write_text(yaml.safe_dump(settings))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
    env.update(
        MARKETJOBS_CONFIG=str(config),
        VENDOR_KEY=SECRET,
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        COLUMNS="200",
    )
    yield Deployment(root, env, database_url, api_port, server)
    server.shutdown()


# -- the sweep: every command in one process with a worker ------------------------------------------------


def command_paths() -> dict[tuple[str, ...], bool]:
    """Every command and group of the app by its path, True for those that run (groups without a command
    of their own only show help)."""
    from typer.main import get_command

    from interfaces.cli.main import app

    paths: dict[tuple[str, ...], bool] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if path:
            paths[path] = children is None or bool(getattr(command, "invoke_without_command", False))
        for name, child in (children or {}).items():
            walk(child, (*path, name))

    walk(get_command(app), ())
    return paths


def command_of(args: tuple[str, ...], paths: dict[tuple[str, ...], bool]) -> tuple[str, ...] | None:
    """The command ``args`` run (the longest path they start with, after the root's ``--debug``)."""
    words = tuple(a for a in args if a != "--debug")
    found = [p for p, runs in paths.items() if runs and words[: len(p)] == p]
    return max(found, key=len) if found else None


def drive(results_file: str, log_file: str, fill_json: str) -> None:
    """The sweep, in its own process (``actors`` binds the settings it is first imported with): the DEBUG log
    of everything to ``log_file``, each command's ``--help``, then :data:`REAL_RUNS`; one JSON line per run
    (args, allowed codes, code, stdout, stderr) to ``results_file``."""
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    fill: dict[str, str] = json.loads(fill_json)
    runs = [Run(("--help",))] + [Run((*path, "--help")) for path in command_paths()]
    worker: Any = None
    with open(results_file, "w", encoding="utf-8") as results:
        for run in [*runs, *REAL_RUNS]:
            if run == START_WORKER:
                worker = _start_worker()
                continue
            if run == STOP_WORKER:
                _stop_worker(worker)
                worker = None
                continue
            for args in _expand(run.args, fill):
                code, out, err = _invoke(args)
                line = {"args": args, "codes": run.codes, "code": code, "stdout": out, "stderr": err}
                results.write(json.dumps(line) + "\n")
                results.flush()
    if worker is not None:
        _stop_worker(worker)


def _invoke(args: list[str]) -> tuple[int, str, str]:
    """``marketjobs ARGS`` in this process, as the console script runs it: (exit code, stdout, stderr)."""
    from interfaces.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["marketjobs", *args]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except Exception:
            traceback.print_exc()
            code = -1
    return code, out.getvalue(), err.getvalue()


def _expand(args: tuple[str, ...], fill: dict[str, str]) -> list[list[str]]:
    """The command lines of one run: placeholders filled in (see :class:`Run`)."""
    from marketjobs.config import get_settings
    from marketjobs.constants import Status
    from marketjobs.jobs.queries import list_jobs
    from marketjobs.store.engine import create_store_engine

    if "actors" in sys.modules:  # the jobs sent by the commands so far are stored
        _records().flush()
    engine = create_store_engine(get_settings().database_url)
    filled = [arg.format(**fill) if arg in ("{hook}", "{imports}/imp.csv") else arg for arg in args]
    for index, arg in enumerate(filled):
        if arg.startswith("{job:"):
            job_type, status = arg.strip("{}").split(":")[1:]
            found = list_jobs(engine, job_type=job_type, status=Status(status), limit=1)
            filled[index] = found[0].id if found else f"<no {status} {job_type} job>"
    if "{each-job}" in filled:
        index = filled.index("{each-job}")
        ids = [record.id for record in list_jobs(engine, limit=10_000)]
        return [[*filled[:index], job_id, *filled[index + 1 :]] for job_id in ids]
    return [filled]


def _start_worker() -> Any:
    import dramatiq

    import actors

    worker = dramatiq.Worker(actors.broker, worker_threads=2, worker_timeout=100)
    worker.start()
    return worker


def _stop_worker(worker: Any) -> None:
    worker.stop()
    _records().flush()


def _records() -> Any:
    """The job-records middleware of the actors' broker."""
    import actors
    from marketjobs.jobs.records import JobRecords

    return next(m for m in actors.broker.middleware if isinstance(m, JobRecords))


@dataclass(frozen=True)
class Sweep:
    """What the sweep process printed and logged."""

    runs: list[dict[str, Any]]
    log: str
    process_output: str


@pytest.fixture(scope="module")
def sweep(deployment: Deployment) -> Sweep:
    """Runs :func:`drive` in a fresh interpreter."""
    results, log = deployment.root / "sweep.jsonl", deployment.root / "sweep.log"
    fill = {"hook": f"http://127.0.0.1:{deployment.server.server_address[1]}/hook?token={SECRET}",
            "imports": str(deployment.root / "imports")}  # fmt: skip
    code = (
        "import sys; from tests.test_no_secret_leaks import drive; "
        f"drive({str(results)!r}, {str(log)!r}, sys.argv[1])"
    )
    process = subprocess.run(
        [sys.executable, "-c", code, json.dumps(fill)],
        cwd=deployment.root,
        env=deployment.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    runs = [json.loads(line) for line in results.read_text().splitlines()]
    return Sweep(runs, log.read_text(encoding="utf-8"), process.stdout + process.stderr)


def test_the_password_was_really_in_use(deployment: Deployment, sweep: Sweep) -> None:
    seen = "\n".join(deployment.server.seen)
    assert f"Bearer {SECRET}, key {SECRET}, apikey {SECRET}" in seen  # headers, ${VENDOR_KEY} and query
    assert f"POST /hook?token={SECRET}" in seen
    assert make_url(deployment.database_url).password == SECRET


def test_every_command_is_run_for_real_or_names_where_it_is() -> None:
    paths = command_paths()
    covered = {command_of(run.args, paths) for run in REAL_RUNS} | set(RUN_ELSEWHERE)
    missing = sorted(" ".join(p) for p, runs in paths.items() if runs and p not in covered)
    assert not missing, f"add a real run of {missing} to REAL_RUNS (or a reason to RUN_ELSEWHERE)"


def test_no_command_shows_a_secret_in_its_help_or_its_output(sweep: Sweep) -> None:
    helps = [run for run in sweep.runs if run["args"][-1] == "--help"]
    assert len(helps) == len(command_paths()) + 1
    unexpected = [(run["args"], run["code"], run["stderr"][-500:]) for run in sweep.runs
                  if run["code"] not in run["codes"]]  # fmt: skip
    assert not unexpected, f"commands ended unexpectedly (the sweep proves little): {unexpected}"
    shown = {" ".join(run["args"]): leaks(run["stdout"] + run["stderr"]) for run in sweep.runs}
    assert not {args: lines for args, lines in shown.items() if lines}
    assert not leaks(sweep.process_output)


def test_the_debug_log_of_commands_and_worker_holds_no_secret(sweep: Sweep) -> None:
    assert " DEBUG " in sweep.log
    assert "noop" in sweep.log
    assert "price_update" in sweep.log
    assert not leaks(sweep.log)


# -- commands in their own processes ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_process_outputs(deployment: Deployment, sweep: Sweep) -> dict[str, str]:
    """The output of every case of :data:`OWN_PROCESS_CASES`, run side by side (after the sweep migrated
    the store). ``{query-url}`` is the store's URL with the password in the query instead."""
    url = make_url(deployment.database_url)
    query_url = url.set(password=None).update_query_dict({"password": SECRET})
    fill = {"{query-url}": query_url.render_as_string(hide_password=False)}
    logs: dict[str, Path] = {}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for name, case in OWN_PROCESS_CASES.items():
        logs[name] = deployment.root / f"own-process-{len(logs)}.log"
        env = {k: fill.get(v, v) for k, v in case.env.items()}
        with logs[name].open("wb") as out:
            processes[name] = subprocess.Popen(
                deployment.marketjobs(*case.args),
                cwd=deployment.root,
                env={**deployment.env, "MARKETJOBS_METRICS_PORT": str(free_port()), **env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    try:
        for name, case in OWN_PROCESS_CASES.items():
            if case.until is not None:
                wait_until(functools.partial(_says, logs[name], case.until), timeout=45)
                os.killpg(processes[name].pid, signal.SIGTERM)
            processes[name].wait(timeout=60)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return {name: log.read_text() for name, log in logs.items()}


def _says(log: Path, text: str) -> bool:
    return text in log.read_text()


@pytest.mark.parametrize("name", list(OWN_PROCESS_CASES))
def test_a_command_in_its_own_process_shows_no_secret(own_process_outputs: dict[str, str], name: str) -> None:
    output = own_process_outputs[name]
    assert output.strip(), "the command said nothing"
    assert not leaks(output)


# -- `marketjobs up` and the API ----------------------------------------------------------------------------


def _get(port: int, path: str, token: str | None = SECRET) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.read().decode())
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: {exc.read().decode()}"
    except OSError:  # not listening yet
        return ""


@dataclass(frozen=True)
class Up:
    """What ``marketjobs up`` and its children printed and logged, and the API's answers."""

    output: str
    answers: dict[str, str]


@pytest.fixture(scope="module")
def up(deployment: Deployment, sweep: Sweep) -> Up:
    """``marketjobs up`` at DEBUG until its workers ran the job the sweep left and the API answered."""
    from marketjobs.constants import Status
    from marketjobs.jobs.queries import list_jobs
    from marketjobs.store.engine import create_store_engine

    engine = create_store_engine(deployment.database_url)
    pending = [r.id for r in list_jobs(engine, job_type="fail", status=Status.PENDING, limit=10)]
    assert pending, "the sweep left no job for the workers of `up`"
    log = deployment.root / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            deployment.marketjobs("up", "-p", "1", "-t", "2", "--exporter-port", str(free_port())),
            cwd=deployment.root,
            env=deployment.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    port, answers = deployment.api_port, {}
    try:
        wait_until(lambda: '"status"' in _get(port, "/healthz", None), timeout=60)
        wait_until(lambda: all(r.status == "dead" for r in list_jobs(engine, job_type="fail", limit=100)
                               if r.id in pending), timeout=60)  # fmt: skip
        ids = [r.id for r in list_jobs(engine, limit=1000)]
        paths = ["/api/jobs?limit=500", "/api/dead-letters", "/api/schedules", "/api/alerts/rules",
                 "/api/alerts/firings", "/api/queues", "/api/workers", "/", "/jobs", "/dead-letters",
                 "/schedules",
                 *(f"/api/jobs/{i}" for i in ids), *(f"/jobs/{i}" for i in ids)]  # fmt: skip
        answers = {path: _get(port, path) for path in paths}
        answers["wrong token"] = _get(port, "/api/jobs", f"{SECRET}-not")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=90)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return Up(log.read_text(), answers)


def test_up_and_the_api_show_no_secret(up: Up) -> None:
    assert "stopped" in up.output
    assert "Failed to process message fail(" in up.output  # its workers ran the job left for them
    assert '"fail"' in up.answers["/api/jobs?limit=500"]  # the token was accepted
    assert not leaks(up.output)
    assert not {path: leaks(body) for path, body in up.answers.items() if leaks(body)}


# -- the store ----------------------------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    """A stored value as text: bytes (message payloads) byte for byte, the rest as JSON."""
    return value.decode("latin-1") if isinstance(value, bytes) else json.dumps(value, default=str)


def test_the_store_keeps_the_password_only_where_a_job_needs_it(deployment: Deployment, up: Up) -> None:
    from marketjobs.store.engine import create_store_engine

    engine = create_store_engine(deployment.database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    found: set[tuple[str, str]] = set()
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for column, value in row._mapping.items():
                    if leaks(_as_text(value)):
                        found.add((table.name, str(column)))
    assert found - STORED_ON_PURPOSE == set()
    assert ("job_records", "parameters") in found  # the jobs that carry it did store it
