"""Alerts: rules in the store, one run that evaluates and records firings, and the sinks that deliver them.

Sinks: ``log`` (a log record), ``webhook`` (HTTP POST of JSON with retries), ``mqtt`` (JSON to
``<mqtt_topic_prefix>/<symbol>``, QoS 1) and ``memory`` (tests). The alerts job's work is
:func:`marketjobs.services.alerts_run.run_alerts`.
"""

from __future__ import annotations

from marketjobs.errors import DeliveryError
from marketjobs.notify.base import Notification, Sink
from marketjobs.notify.log import LogSink
from marketjobs.notify.memory import MemorySink
from marketjobs.notify.mqtt import MqttSink
from marketjobs.notify.sinks import SinkSet
from marketjobs.notify.webhook import WebhookSink

__all__ = [
    "DeliveryError",
    "LogSink",
    "MemorySink",
    "MqttSink",
    "Notification",
    "Sink",
    "SinkSet",
    "WebhookSink",
]
