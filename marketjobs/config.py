"""Settings from env ``MARKETJOBS_*`` and an optional YAML file (``--config`` / ``MARKETJOBS_CONFIG``).

Precedence, highest first: explicit overrides, environment variables, the YAML file, defaults.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from marketjobs.constants import DEFAULT_BROKER_URL, DEFAULT_DATABASE_URL, DEFAULT_DROP_FOLDER
from marketjobs.errors import ConfigError
from marketjobs.guards.hosts import HostPolicy
from marketjobs.redact import MASK, is_secret_key, redact

__all__ = [
    "ENV_PREFIX",
    "RESERVED_SOURCE_NAMES",
    "ApiToken",
    "EncryptionKey",
    "HttpSourceSettings",
    "PoolSettings",
    "ScheduleEntry",
    "Settings",
    "configure",
    "get_settings",
    "load_settings",
    "url_scheme",
]

#: Prefix of every environment variable marketjobs reads.
ENV_PREFIX = "MARKETJOBS_"
#: Environment variable naming the YAML config file.
CONFIG_ENV_VAR = "MARKETJOBS_CONFIG"

#: Broker URL schemes understood by :func:`marketjobs.brokers.open_broker`.
BROKER_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb", "redis", "rediss", "amqp", "amqps", "stub")
#: Broker URL schemes served by the SQL broker (a ``+driver`` suffix is allowed).
SQL_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb")


def url_scheme(url: str) -> str:
    """The scheme of ``url`` without a driver suffix, lower case: "postgresql+psycopg://..." -> "postgresql";
    "" when ``url`` has none."""
    return url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""


class ScheduleEntry(BaseModel):
    """A user schedule from the YAML ``schedules:`` list; the spelling is parsed when the scheduler starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128)
    schedule: str = Field(min_length=1, max_length=500, description="cron, @macro or plain English")
    timezone: str = Field("UTC", description="IANA timezone whose wall clock the schedule reads")
    actor: str = Field(min_length=1, max_length=128, description="the job type (actor name) to send")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="keyword parameters of each job")
    missed: Literal["skip", "run_once"] = Field("skip", description="what to do with missed ticks")


class PoolSettings(BaseModel):
    """One supervisor pool (YAML ``pools:`` mapping): worker processes for a set of queues.

    A queue's work never runs on more than ``max`` processes x ``threads`` threads: this is also the
    per-queue concurrency limit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    queues: list[str] = Field(default_factory=list, description="queues consumed; empty: every queue")
    min: int = Field(default=1, ge=0, le=256, description="processes kept even when idle")
    max: int = Field(default=4, ge=1, le=256, description="processes at most")
    threads: int = Field(default=4, ge=1, le=256, description="worker threads per process")
    target_latency_seconds: float = Field(
        default=5.0, gt=0, le=86_400, description="scale up while the oldest ready message is older than this"
    )
    jobs_per_process: int = Field(
        default=50, ge=1, le=1_000_000, description="scale up while ready messages per process exceed this"
    )
    scale_down_after_seconds: float = Field(
        default=60.0, ge=0, le=86_400, description="idle time (no backlog) before one process is stopped"
    )
    max_jobs: int | None = Field(default=None, ge=1, description="recycle a process after this many jobs")
    max_rss_mb: float | None = Field(default=None, gt=0, description="recycle a process above this RSS")
    max_age_seconds: float | None = Field(default=None, gt=0, description="recycle a process after this long")

    @model_validator(mode="after")
    def _min_not_above_max(self) -> PoolSettings:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max}); lower min or raise max")
        return self


#: Bar source names built into marketjobs (and "http", which old messages used): not for ``sources:``.
RESERVED_SOURCE_NAMES = ("file", "synthetic", "http")
#: What a name under ``sources:`` looks like.
SOURCE_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"


def _source_name(name: str) -> str:
    if name in RESERVED_SOURCE_NAMES or not re.match(SOURCE_NAME_PATTERN, name):
        raise ValueError(
            f"source name {name!r} is reserved or malformed; use lower-case letters, digits, '-' and '_' "
            f"(not {', '.join(RESERVED_SOURCE_NAMES)}), e.g. 'polygon'"
        )
    return name


#: A key of ``sources:``.
SourceName = Annotated[str, AfterValidator(_source_name)]


class HttpSourceSettings(BaseModel):
    """A named HTTP bar provider (YAML ``sources:`` mapping); messages name it (``source="polygon"``), so its
    URL and credentials never travel in a message, a job record or a schedule.

    ``${NAME}`` in a header or query value is replaced by the worker's environment variable ``NAME`` when
    the source is used, e.g. ``Authorization: "Bearer ${POLYGON_TOKEN}"``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        description="http(s)://host[:port] and an optional path prefix; credentials go in headers or query"
    )
    headers: dict[str, str] = Field(
        default_factory=dict, description="headers of every request; ${NAME} is read from the environment"
    )
    query: dict[str, str] = Field(
        default_factory=dict,
        description="query parameters of every request (API keys); ${NAME} is read from the environment",
    )

    @field_validator("base_url")
    @classmethod
    def _plain_base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/?#@]+(/[^\s?#@]*)?$", value):
            raise ValueError(
                "base_url must be http(s)://host[:port] with an optional path, without user:password@, "
                "query or fragment; put credentials in headers or query (values may be ${ENV_VARIABLE})"
            )
        return value


class ApiToken(BaseModel):
    """A bearer token of the HTTP API, stored as its SHA-256 (``marketjobs api-token`` makes one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, description="who or what holds the token")
    role: Literal["viewer", "operator"] = Field(description="viewer: read; operator: read and act")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the token")


class EncryptionKey(BaseModel):
    """One AES-256 key of message payloads: the id written into every message it encrypts, and 32 random
    bytes in base64 (``python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$", description="key id")
    key: SecretStr = Field(description="base64 of 32 random bytes; never printed")

    @field_validator("key")
    @classmethod
    def _aes_256_key(cls, value: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "key is not base64; make one with "
                "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"
            ) from None
        if len(raw) != 32:
            raise ValueError(f"key decodes to {len(raw)} bytes; AES-256 needs 32 random bytes in base64")
        return value

    def secret_bytes(self) -> bytes:
        """The 32 key bytes."""
        return base64.b64decode(self.key.get_secret_value())


class Settings(BaseSettings):
    """Every knob of marketjobs in one model; env names are ``MARKETJOBS_`` + the field name in capitals."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    broker_url: str = Field(
        DEFAULT_BROKER_URL, description="sqlite:///, postgresql://, mysql://, redis://, amqp://"
    )
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the job store")

    worker_processes: int = Field(2, ge=1, le=256, description="worker processes per host")
    worker_threads: int = Field(4, ge=1, le=256, description="worker threads per process")
    time_limit_seconds: float = Field(600.0, gt=0, description="default job time limit")
    max_retries: int = Field(5, ge=0, le=1000, description="default retries before dead letters")
    min_backoff_seconds: float = Field(5.0, ge=0, description="first retry delay (doubles each retry)")
    max_backoff_seconds: float = Field(3600.0, ge=0, description="cap on the retry delay")
    dead_letter_retention_days: float = Field(7.0, gt=0, description="how long dead letters are kept")
    lease_seconds: float = Field(
        60.0,
        ge=1,
        le=86_400,
        description="how long a silent worker keeps its messages before they are requeued",
    )

    records_flush_seconds: float = Field(0.2, gt=0, le=60, description="job-record write batching interval")
    ack_after_record: bool = Field(
        True, description="ack a message only once its job record is stored (no stale records after kill -9)"
    )
    progress_interval_seconds: float = Field(0.5, ge=0, description="minimum time between progress writes")
    cancel_poll_seconds: float = Field(1.0, gt=0, le=60, description="how often workers look for cancels")

    pools: dict[str, PoolSettings] = Field(
        default_factory=lambda: {"default": PoolSettings(min=1, max=2)},
        description="supervisor pools by name (YAML mapping); default: one pool for every queue",
    )
    supervisor_interval_seconds: float = Field(
        2.0, gt=0, le=600, description="how often the supervisor looks at queues and workers"
    )
    heartbeat_seconds: float = Field(5.0, gt=0, le=600, description="worker registry heartbeat interval")
    worker_lost_seconds: float = Field(
        30.0, gt=0, le=86_400, description="a worker silent this long is reported lost"
    )

    schedules: list[ScheduleEntry] = Field(
        default_factory=list, description="user schedules beside the defaults (YAML list)"
    )
    scheduler_tick_seconds: float = Field(60.0, gt=0, le=3600, description="how often the scheduler looks")
    scheduler_lease_seconds: float = Field(
        90.0, gt=0, le=3600, description="leader lease; a follower takes over this long after the leader dies"
    )

    mqtt_url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="MQTT broker of the alerts' mqtt sink (mqtt:// or mqtts://user:pw@host:port)",
    )
    mqtt_topic_prefix: str = Field("marketjobs/alerts", description="alerts publish to <prefix>/<symbol>")
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=300, description="timeout of one webhook POST")
    job_record_retention_days: float = Field(30.0, gt=0, description="maintenance drops older finished jobs")
    bar_retention_days: float | None = Field(
        None, gt=0, description="maintenance deletes bars older than this; unset keeps every bar"
    )
    signal_retention_days: float = Field(365.0, gt=0, description="maintenance deletes older signal events")

    api_host: str = Field(default="127.0.0.1", description="address the HTTP API and operator page bind")
    api_port: int = Field(default=8321, ge=1, le=65535, description="port of the HTTP API and operator page")
    api_tokens: list[ApiToken] = Field(
        default_factory=list, description="bearer tokens of the API (hashed); none: the API refuses all"
    )
    metrics_host: str = Field("127.0.0.1", description="address the metrics endpoint binds")
    metrics_port: int = Field(9191, ge=1, le=65535, description="port of the metrics endpoint")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # ``marketjobs health`` (monitoring.health): a check past its threshold is degraded, past 3x unhealthy.
    health_window_minutes: float = Field(
        15.0, gt=0, le=10_080, description="window of the failure-ratio and dead-letter health checks"
    )
    health_failure_ratio: float = Field(
        0.1, gt=0, le=1, description="health degrades above this share of dead jobs among finished ones"
    )
    health_failure_min_jobs: int = Field(
        10, ge=1, le=1_000_000, description="finished jobs in the window below which no ratio is judged"
    )
    health_max_dead_letters: int = Field(
        10, ge=0, le=1_000_000, description="health degrades above this many new dead letters in the window"
    )
    health_max_latency_seconds: float = Field(
        300.0, gt=0, le=86_400, description="health degrades when a queue's oldest ready message is older"
    )
    health_stuck_margin_seconds: float = Field(
        300.0, ge=0, le=86_400, description="a job running this long past its time limit is stuck"
    )
    health_scheduler_lag_seconds: float = Field(
        300.0, gt=0, le=86_400, description="health degrades when an enabled schedule is this far past due"
    )
    health_bar_max_age_hours: float = Field(
        96.0, gt=0, le=8_760, description="health degrades when the newest stored bar is older"
    )

    # What jobs may reach, read and write (see docs/configuration.md#sources-and-imports).
    sources: dict[SourceName, HttpSourceSettings] = Field(
        default_factory=dict,
        description="named HTTP bar providers (YAML mapping); a price_update message names one: source=NAME",
    )
    http_allowed_hosts: list[str] = Field(
        default_factory=lambda: ["*"],
        description="hosts HTTP sources and webhooks may reach: '*', names, '*.domain', IPs, CIDR networks; "
        "loopback and link-local only when an IP or network entry covers them",
    )
    import_roots: list[str] = Field(
        default_factory=lambda: ["var/imports", DEFAULT_DROP_FOLDER],
        description="folders data_import and file drop folders may read (symlinks followed); relative "
        "paths are from the worker's working directory",
    )
    reports_dir: str = Field(
        "var/reports", min_length=1, description="where data_import writes rejected-row reports, <job id>.csv"
    )
    max_import_bytes: int = Field(
        16 * 2**30, ge=1, le=2**50, description="bytes one data_import file may hold (.gz: decompressed)"
    )
    max_line_bytes: int = Field(
        2**20, ge=1024, le=2**30, description="longest line (header included) of a CSV data_import reads"
    )
    max_response_bytes: int = Field(
        32 * 2**20, ge=1024, le=2**34, description="longest answer read from an HTTP bar source or a webhook"
    )
    drop_max_files: int = Field(
        100, ge=1, le=100_000, description="drop files one file-source run loads; the rest wait for the next"
    )
    drop_max_file_bytes: int = Field(
        64 * 2**20, ge=1, le=2**34, description="bytes of one drop file, read whole (.gz: decompressed)"
    )

    @field_validator("http_allowed_hosts")
    @classmethod
    def _host_entries(cls, entries: list[str]) -> list[str]:
        try:
            HostPolicy(entries)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return entries

    # Message payloads (marketjobs.brokers.encryption, marketjobs.jobs.payloads) and the exporter.
    encryption_keys: list[EncryptionKey] = Field(
        default_factory=list,
        description="AES-256-GCM keys of message payloads, newest first: the first encrypts, every one "
        "decrypts (MARKETJOBS_ENCRYPTION_KEYS: a JSON list of {id, key}); empty: messages are plain JSON",
    )
    compress_above_bytes: int | None = Field(
        None,
        ge=0,
        le=1 << 30,
        description="with encryption_keys, messages whose JSON is larger are zlib-compressed before they are "
        "encrypted; unset: never",
    )
    max_message_bytes: int = Field(
        1 << 20, ge=1024, le=128 << 20, description="an encoded message larger than this is refused at send"
    )
    exporter_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="one exporter scrape's result serves the scrapes of this many seconds"
    )

    @field_validator("encryption_keys")
    @classmethod
    def _unique_key_ids(cls, value: list[EncryptionKey]) -> list[EncryptionKey]:
        ids = [key.id for key in value]
        if len(set(ids)) != len(ids):
            raise ValueError(f"encryption key ids must be unique (got {ids}); give each key its own id")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("broker_url")
    @classmethod
    def _known_broker_scheme(cls, value: str) -> str:
        if url_scheme(value) not in BROKER_SCHEMES:
            schemes = ", ".join(f"{s}://" for s in BROKER_SCHEMES)
            raise ValueError(
                f"unsupported broker URL scheme {url_scheme(value)!r}; use one of {schemes}{_hint(value)}"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a SQLAlchemy URL; use e.g. sqlite:///var/marketjobs.db or "
                "postgresql+psycopg://user@host/db"
            ) from None
        if url_scheme(value) not in SQL_SCHEMES:
            schemes = ", ".join(f"{s}://" for s in SQL_SCHEMES)
            raise ValueError(
                f"unsupported database URL scheme {url_scheme(value)!r}; use one of {schemes}{_hint(value)}"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("yaml_file"):
            sources.append(YamlConfigSettingsSource(settings_cls))
        return tuple(sources)


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    lines = ["invalid marketjobs settings:"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        where = f"{ENV_PREFIX}{field.upper()}" + (f" (or '{field}' in {config_file})" if config_file else "")
        if error["type"] == "extra_forbidden":
            known = ", ".join(sorted(Settings.model_fields))
            lines.append(f"  {field}: unknown setting in {config_file}; known settings are {known}")
        else:
            secret = any(isinstance(part, str) and is_secret_key(part) for part in error["loc"])
            shown = MASK if secret else redact(error.get("input"))
            if field.endswith("_url") and isinstance(shown, str) and "://" not in shown:
                shown = re.sub(r"^[^@]*@", f"{MASK}@", shown)  # user:password@host, no scheme to go by
            lines.append(f"  {where}: {error['msg']} (got {shown!r})")
    return "\n".join(lines)


def _hint(url: str) -> str:
    """A hint for common misspellings of a URL scheme."""
    scheme = url_scheme(url)
    return " (write postgresql://, not postgres://)" if scheme in ("postgres", "pgsql", "psql") else ""


def _check_yaml(path: Path) -> None:
    """ConfigError unless ``path`` is a readable YAML file whose top level is a mapping of settings."""
    if path.is_dir():
        raise ConfigError(
            f"config file {path} is a directory; give the YAML file in it, e.g. {path}/marketjobs.yaml"
        )
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; fix --config or {CONFIG_ENV_VAR}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}; fix the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc}); give a UTF-8 YAML file") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            f"config file {path} holds a {type(data).__name__} at its top level; it must map setting "
            "names to values, e.g. `log_level: INFO`"
        )


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Reads settings from the environment and an optional YAML file, or raises ConfigError."""
    path_text = str(config_file) if config_file else os.environ.get(CONFIG_ENV_VAR)
    path = Path(path_text) if path_text else None
    cls: type[Settings] = Settings
    if path is not None:
        _check_yaml(path)
        config = SettingsConfigDict(**{**Settings.model_config, "yaml_file": path})
        cls = type("Settings", (Settings,), {"model_config": config})
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded on first use."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings


def configure(settings: Settings | None) -> None:
    """Replaces the process-wide settings (None reloads them on next use)."""
    global _settings
    _settings = settings
