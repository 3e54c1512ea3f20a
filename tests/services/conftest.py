"""The alerts run's tests deliver through the sinks' real receivers (a webhook server, an MQTT subscriber)."""

from tests.notify.conftest import receiver, subscriber

__all__ = ["receiver", "subscriber"]
