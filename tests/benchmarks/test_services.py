"""benchmarks/services.py: a server that is down is skipped with a line saying so, an error when CI=true."""

from __future__ import annotations

import pytest

from benchmarks.services import private_database, skipped
from tests.servers import free_port


def test_a_skipped_service_is_printed_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    skipped("Redis", ConnectionError("Connection refused\nmore detail"))
    assert capsys.readouterr().out == "Redis skipped: ConnectionError: Connection refused\n"


def test_a_skipped_service_is_an_error_when_ci_is_true(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(SystemExit, match="MariaDB skipped: down; CI=true requires every service"):
        skipped("MariaDB", "down")


def test_private_database_on_a_server_that_is_down_yields_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with private_database(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", "test") as url:
        assert url is None
    assert capsys.readouterr().out.startswith("PostgreSQL skipped: OperationalError")
