"""Private Redis, PostgreSQL and RabbitMQ servers for benchmarks/faults.py, so that it can crash them.

Each runs from the machine's binaries on free ports in its own temporary directory, never the shared
servers other tests use. ``crash()`` kills the server as a power cut would (Redis and RabbitMQ with kill -9,
PostgreSQL with an immediate shutdown, which skips the checkpoint and recovers from its WAL on start);
``restart()`` crashes it and starts it again on the same port and data. A server that cannot start here
raises :class:`Unavailable` with the reason, and the fault run reports its broker as skipped.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["PrivatePostgres", "PrivateRabbitmq", "PrivateRedis", "PrivateServer", "Unavailable", "free_port"]

#: Seconds a server may take to accept connections after it was started.
START_TIMEOUT_SECONDS = 120.0


class Unavailable(Exception):
    """The private server cannot run on this machine (binary missing, start failed)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1.0):
        return True
    return False


def _wait_until(ready: object, what: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise Unavailable(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.1)


class PrivateServer:
    """A server of the fault run's own; ``url`` is what brokers connect to."""

    name = "server"
    #: How ``crash()`` stops the server, for the report.
    crash_method = "kill -9"

    def __init__(self, root: Path) -> None:
        self.root = root / self.name
        self.root.mkdir(parents=True)
        self.port = free_port()
        self.url = ""

    def start(self) -> None:
        """Starts the server and waits until it serves; Unavailable when it cannot."""

    def crash(self) -> None:
        """Stops the server abruptly."""

    def restart(self) -> float:
        """Crashes the server, starts it again and returns the seconds it was down."""
        began = time.monotonic()
        self.crash()
        self.start()
        return time.monotonic() - began

    def close(self) -> None:
        """Stops the server if it runs (its files go with the run's temporary directory)."""
        with contextlib.suppress(Exception):
            self.crash()


class PrivateRedis(PrivateServer):
    """redis-server with an fsync-always append-only file, so that a kill -9 loses no acknowledged write."""

    name = "redis"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise Unavailable("redis-server is not installed (Debian: apt-get install redis-server)")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root)]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        with open(self.root / "redis.log", "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _wait_until(self._pong, f"redis-server on port {self.port}", 30)

    def _pong(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise Unavailable(
                f"redis-server exited with {self._process.returncode}; see {self.root}/redis.log"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
        return False

    def crash(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(30)


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster of its own (initdb as the postgres user when run as root); database postgres."""

    name = "postgres"
    crash_method = "immediate shutdown"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.data = self.root / "data"
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
        initdb = candidates[-1] if candidates else shutil.which("initdb")
        self.bin = Path(initdb).parent if initdb else None

    def _run(self, *args: str) -> None:
        if self.bin is None:
            raise Unavailable("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)")
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS)
        if result.returncode != 0:
            raise Unavailable(f"{args[0]} failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> None:
        if not self.data.exists():
            if os.geteuid() == 0:
                os.chmod(self.root.parent, 0o755)
                shutil.chown(self.root, "postgres")
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "pg.log"), "-w", "start"
        )
        _wait_until(lambda: _accepts(self.port), f"PostgreSQL on port {self.port}", 30)

    def crash(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def _version(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


class PrivateRabbitmq(PrivateServer):
    """A RabbitMQ node of its own: name, ports, cookie, data, logs and config in its directory; no plugins."""

    name = "rabbitmq"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.node = f"faults{os.getpid()}@localhost"
        scripts = Path("/usr/lib/rabbitmq/bin")  # Debian's wrappers in /usr/sbin switch to the rabbitmq user
        found = scripts / "rabbitmq-server" if (scripts / "rabbitmq-server").exists() else None
        found = found or (Path(p) if (p := shutil.which("rabbitmq-server")) else None)
        self.scripts = found.parent if found else None
        (self.root / "home").mkdir()
        (self.root / "env.conf").write_text("")
        (self.root / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.root / "enabled_plugins").write_text("[].\n")
        self.env = {
            **os.environ,
            "HOME": str(self.root / "home"),
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "env.conf"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.root / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> None:
        if self.scripts is None:
            raise Unavailable("rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server)")
        (self.root / "pid").unlink(missing_ok=True)
        subprocess.run(
            [str(self.scripts / "rabbitmq-server"), "-detached"],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            timeout=60,
        )
        wait = [str(self.scripts / "rabbitmqctl"), "-n", self.node, "wait", str(self.root / "pid")]
        wait += ["--timeout", str(int(START_TIMEOUT_SECONDS))]
        result = subprocess.run(wait, env=self.env, capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            self.crash()
            raise Unavailable(f"RabbitMQ node {self.node} did not start: {result.stdout.strip()[-300:]}")
        _wait_until(lambda: _accepts(self.port), f"RabbitMQ on port {self.port}", 30)

    def crash(self) -> None:
        pid_file = self.root / "pid"
        if not pid_file.exists():
            return
        with contextlib.suppress(ValueError, ProcessLookupError):
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGKILL)
            _wait_until(lambda: not Path(f"/proc/{pid}").exists(), f"RabbitMQ pid {pid} to exit", 30)
        pid_file.unlink(missing_ok=True)
