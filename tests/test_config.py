"""Settings from env, YAML and overrides, and the errors bad values give."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from marketjobs.config import load_settings
from marketjobs.errors import ConfigError


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MARKETJOBS_")]:
        monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/marketjobs.db"
    assert settings.worker_processes >= 1


def test_environment_overrides_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "marketjobs.yaml"
    config.write_text("metrics_port: 9300\nworker_threads: 8\nlog_level: debug\n")
    monkeypatch.setenv("MARKETJOBS_WORKER_THREADS", "3")
    settings = load_settings(config)
    assert settings.metrics_port == 9300
    assert settings.worker_threads == 3
    assert settings.log_level == "DEBUG"


def test_config_file_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("max_retries: 9\n")
    monkeypatch.setenv("MARKETJOBS_CONFIG", str(config))
    assert load_settings().max_retries == 9


def test_bad_value_names_the_setting_and_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETJOBS_METRICS_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="MARKETJOBS_METRICS_PORT"):
        load_settings()


def test_unknown_setting_in_yaml_lists_the_known_ones(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("metrics_prot: 1\n")
    with pytest.raises(ConfigError, match=r"metrics_prot: unknown setting.*metrics_port"):
        load_settings(config)


def test_missing_config_file_says_which_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("field", "value", "fix"),
    [
        ("broker_url", "kafka://localhost", "use one of sqlite://"),
        ("database_url", "not a url", "sqlite:///var/marketjobs.db"),
        ("log_level", "LOUD", "MARKETJOBS_LOG_LEVEL"),
        ("worker_processes", 0, "greater than or equal to 1"),
    ],
)
def test_invalid_values_fail_with_the_fix(field: str, value: object, fix: str) -> None:
    with pytest.raises(ConfigError, match=fix):
        load_settings(**{field: value})


def test_example_config_in_deploy_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MARKETJOBS_")]:
        monkeypatch.delenv(name)
    example = Path(__file__).resolve().parents[1] / "deploy" / "marketjobs.example.yaml"
    settings = load_settings(example)
    assert settings.metrics_port == 9191
    assert settings.database_url.startswith("postgresql://")


@pytest.mark.parametrize(
    ("sources", "fix"),
    [
        ({"file": {"base_url": "https://q.example"}}, "source name 'file' is reserved or malformed"),
        ({"Polygon": {"base_url": "https://q.example"}}, "use lower-case letters"),
        ({"polygon": {"base_url": "https://user:pw@q.example"}}, "without user:password@"),
        ({"polygon": {"base_url": "https://q.example/?apikey=1"}}, "without user:password@, query"),
        ({"polygon": {"base_url": "https://q.example", "header": {}}}, r"sources\.polygon\.header: unknown"),
    ],
)
def test_bad_http_sources_fail_with_the_fix(sources: dict[str, object], fix: str) -> None:
    with pytest.raises(ConfigError, match=fix):
        load_settings(sources=sources)


def test_a_bad_sources_entry_does_not_print_its_headers() -> None:
    provider = {"base_url": "https://q.example", "headers": {"Authorization": "Bearer lit3ral-s3cret"}}
    with pytest.raises(ConfigError, match="reserved") as raised:
        load_settings(sources={"http": provider})
    assert "lit3ral-s3cret" not in str(raised.value)


def test_example_config_names_an_http_source_by_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("MARKETJOBS_")]:
        monkeypatch.delenv(name)
    example = Path(__file__).resolve().parents[1] / "deploy" / "marketjobs.example.yaml"
    polygon = load_settings(example).sources["polygon"]
    assert polygon.headers == {"Authorization": "Bearer ${POLYGON_TOKEN}"}


def test_encryption_keys_come_from_the_environment_and_are_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("MARKETJOBS_ENCRYPTION_KEYS", json.dumps([{"id": "2026", "key": key}]))
    settings = load_settings()
    assert settings.encryption_keys[0].secret_bytes() == base64.b64decode(key)
    assert key not in repr(settings)
    assert key not in str(settings.model_dump())
    assert key not in settings.model_dump_json()


@pytest.mark.parametrize(
    ("keys", "fix"),
    [
        ([{"id": "k1", "key": "c2hvcnQta2V5"}], "AES-256 needs 32 random bytes"),
        ([{"id": "k1", "key": "not base64!"}], "not base64; make one with python -c"),
        ([{"id": "k1", "key": base64.b64encode(b"k" * 32).decode()}] * 2, "ids must be unique"),
    ],
)
def test_a_bad_encryption_key_fails_with_the_fix_and_without_printing_the_key(
    keys: list[dict[str, str]], fix: str
) -> None:
    with pytest.raises(ConfigError, match=fix) as raised:
        load_settings(encryption_keys=keys)
    assert keys[0]["key"] not in str(raised.value)
