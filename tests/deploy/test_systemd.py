"""The systemd units of deploy/systemd: they parse, they stop and restart the way the services need, and
every command they start is a ``marketjobs`` command that accepts its arguments. Also the example settings'
pools cover the real queues."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from interfaces.cli.main import app
from marketjobs.config import Settings, configure, load_settings
from tests.conftest import fast_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
#: Where the units expect marketjobs to be installed.
INSTALLED = "/opt/marketjobs/venv/bin/marketjobs"

Unit = dict[str, dict[str, list[str]]]


def read_unit(path: Path) -> Unit:
    """A unit file as section -> key -> values (systemd allows a key more than once), as systemd reads it:
    ``#``/``;`` comments, ``[Section]`` headers, ``Key=value`` lines, a trailing backslash continues."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    text = re.sub(r"\\\n", " ", path.read_text())
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert section is not None, f"{path.name}:{number}: {line!r} comes before any [Section]"
        assert equals, f"{path.name}:{number}: {line!r} is not Key=value"
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key.strip()), f"{path.name}:{number}: bad key {key!r}"
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


def seconds(span: str) -> float:
    """A systemd time span (``90``, ``30s``, ``15min``, ``1h 30min``) in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    assert parts, f"not a time span: {span!r}"
    assert all(unit in units for _, unit in parts), f"unknown unit in {span!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def the(unit: Unit, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key)
    assert values, f"[{section}] {key}= is missing"
    return values[-1]


def test_there_is_a_unit_per_long_running_command() -> None:
    names = [u.name for u in UNITS]
    for name in ("supervisor", "scheduler", "exporter", "api"):
        assert f"marketjobs-{name}.service" in names


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_restarts_on_failure_stops_with_sigterm_and_runs_as_its_own_user(path: Path) -> None:
    unit = read_unit(path)
    assert the(unit, "Unit", "Description")
    assert the(unit, "Install", "WantedBy") == "multi-user.target"
    assert the(unit, "Service", "Restart") == "on-failure"
    assert the(unit, "Service", "KillSignal") == "SIGTERM"
    assert the(unit, "Service", "User") == "marketjobs"
    assert the(unit, "Service", "EnvironmentFile") == "/etc/marketjobs/marketjobs.env"
    assert seconds(the(unit, "Service", "TimeoutStopSec")) >= 30
    assert shlex.split(the(unit, "Service", "ExecStart"))[0] == INSTALLED


def test_the_supervisor_reloads_on_hup_and_has_time_to_drain() -> None:
    unit = read_unit(DEPLOY / "systemd" / "marketjobs-supervisor.service")
    assert the(unit, "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"
    # SIGTERM to the supervisor only: it drains its workers; one more SIGTERM each would stop them at once.
    assert the(unit, "Service", "KillMode") == "mixed"
    # The supervisor drains for up to the time limit + 30 s (supervisor.runner.Supervisor.drain_all).
    drain = Settings.model_fields["time_limit_seconds"].default + 30
    assert seconds(the(unit, "Service", "TimeoutStopSec")) > drain


def _command(path: Path) -> tuple[Any, list[str]]:
    """The typer command a unit's ExecStart names (``marketjobs <name> args...``) and its arguments."""
    argv = shlex.split(the(read_unit(path), "Service", "ExecStart"))
    name, *args = argv[1:]
    command = typer.main.get_command(app).commands.get(name)  # type: ignore[attr-defined]
    assert command is not None, f"{path.name}: `marketjobs {name}` is not a command"
    return command, args


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_starts_a_marketjobs_command_with_arguments_it_accepts(path: Path) -> None:
    command, args = _command(path)
    command.make_context(command.name or "", list(args))  # parses the options, runs nothing


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify_accepts_each_unit(path: Path, tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed; test_each_unit_restarts_... parses the units instead")
    # verify insists the executable exists: point ExecStart at one that does (python) for the check.
    copy = tmp_path / path.name
    copy.write_text(path.read_text().replace(INSTALLED, sys.executable))
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if path.name in line]
    assert result.returncode == 0, result.stdout + result.stderr
    assert problems == []


@pytest.fixture
def actor_queues(tmp_path: Path) -> Any:
    """The queues of the product's actors (``actors`` imported on a throwaway store)."""
    configure(fast_settings(f"sqlite:///{tmp_path / 'store.db'}"))
    try:
        import actors

        broker = actors.broker
        yield {broker.get_actor(name).queue_name for name in broker.get_declared_actors()}
    finally:
        configure(None)


def test_the_example_pools_cover_every_actor_queue_and_only_real_ones(actor_queues: set[str]) -> None:
    settings = load_settings(DEPLOY / "marketjobs.example.yaml")
    pooled = [q for pool in settings.pools.values() for q in pool.queues]
    assert set(pooled) <= actor_queues, set(pooled) - actor_queues
    assert set(pooled) == actor_queues, f"in no pool: {actor_queues - set(pooled)}"
    assert len(pooled) == len(set(pooled)), "a queue in two pools"
    assert settings.pools["analysis"].queues == ["analysis"]
    assert (settings.pools["imports"].min, settings.pools["imports"].max) == (0, 1)
