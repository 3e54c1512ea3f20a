"""The sinks of one alerts run, built by name from settings and reused for every firing of the run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from marketjobs.config import Settings
from marketjobs.errors import ConfigError, DeliveryError
from marketjobs.notify.base import Sink
from marketjobs.notify.log import LogSink
from marketjobs.notify.mqtt import MqttSink
from marketjobs.notify.webhook import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RETRIES,
    WebhookSink,
    shown_url,
)
from marketjobs.store.alerts import SINK_NAMES

__all__ = ["SinkSet"]


class SinkSet:
    """Builds each sink once per run (one MQTT connection, one webhook sink per URL); ``close()`` ends them.

    ``overrides`` replaces sinks by name, e.g. ``{"mqtt": MemorySink()}`` in tests.
    """

    def __init__(
        self,
        *,
        mqtt_url: str,
        mqtt_topic_prefix: str,
        webhook_timeout_seconds: float,
        webhook_retries: int = DEFAULT_RETRIES,
        webhook_backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        http_allowed_hosts: Sequence[str] = ("*",),
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        overrides: Mapping[str, Sink] | None = None,
    ) -> None:
        self.mqtt_url, self.mqtt_topic_prefix = mqtt_url, mqtt_topic_prefix
        self.webhook_timeout_seconds = webhook_timeout_seconds
        self.http_allowed_hosts = list(http_allowed_hosts)
        self.max_response_bytes = max_response_bytes
        self.webhook_retries, self.webhook_backoff_seconds = webhook_retries, webhook_backoff_seconds
        self._overrides = dict(overrides or {})
        self._built: dict[str, Sink] = {}

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: object) -> SinkSet:
        """Sinks configured by ``settings`` (mqtt_url, mqtt_topic_prefix, webhook_timeout_seconds,
        http_allowed_hosts, max_response_bytes)."""
        return cls(
            mqtt_url=settings.mqtt_url,
            mqtt_topic_prefix=settings.mqtt_topic_prefix,
            webhook_timeout_seconds=settings.webhook_timeout_seconds,
            http_allowed_hosts=settings.http_allowed_hosts,
            max_response_bytes=settings.max_response_bytes,
            **kwargs,  # type: ignore[arg-type]
        )

    @staticmethod
    def target(name: str, webhook_url: str | None) -> str:
        """Where a firing goes: the sink name, and the URL for webhooks (one broken target is skipped)."""
        return f"webhook {shown_url(webhook_url or '')}" if name == "webhook" else name

    def get(self, name: str, webhook_url: str | None = None) -> Sink:
        """The sink ``name`` (for webhooks, the one posting to ``webhook_url``); DeliveryError if unusable."""
        if name in self._overrides:
            return self._overrides[name]
        if name not in SINK_NAMES:
            raise DeliveryError(f"unknown sink {name!r}; known sinks: {', '.join(SINK_NAMES)}")
        key = self.target(name, webhook_url)
        if key not in self._built:
            self._built[key] = self._build(name, webhook_url)
        return self._built[key]

    def _build(self, name: str, webhook_url: str | None) -> Sink:
        if name == "log":
            return LogSink()
        if name == "webhook":
            if not webhook_url:
                raise DeliveryError(
                    "the rule delivers to webhook but has no webhook url; add one to the rule"
                )
            return WebhookSink(
                webhook_url,
                timeout_seconds=self.webhook_timeout_seconds,
                retries=self.webhook_retries,
                backoff_seconds=self.webhook_backoff_seconds,
                allowed_hosts=self.http_allowed_hosts,
                max_response_bytes=self.max_response_bytes,
            )
        try:
            return MqttSink(self.mqtt_url, topic_prefix=self.mqtt_topic_prefix)
        except ConfigError as exc:
            raise DeliveryError(str(exc)) from None

    def close(self) -> None:
        """Closes every sink built by this set (not the overrides, which their owner closes)."""
        built, self._built = self._built, {}
        for sink in built.values():
            sink.close()

    def __enter__(self) -> SinkSet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
