"""The ``alerts`` job on the stub and SQL brokers: parameters checked at send, delivery to the real Mosquitto,
a broker that is down (firing kept as failed, the job retried), and a later run that delivers it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest

from marketjobs.config import configure
from marketjobs.errors import ParameterError
from marketjobs.notify.firings import list_firings
from marketjobs.notify.rules import add_rule
from tests.actors.conftest import actor_module, store, wait_for
from tests.conftest import records_of
from tests.notify.conftest import Subscriber
from tests.notify.store_data import seed_closes
from tests.servers import free_port, require_service

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]


@pytest.fixture
def alerts(broker: dramatiq.Broker) -> Iterator[Any]:
    """The real ``alerts`` actor, bound to the test's broker."""
    with actor_module(broker, "alerts", "alerts") as module:
        yield module.alerts


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    """A subscriber to a topic prefix of its own on the Mosquitto at 127.0.0.1:1883."""
    sub = Subscriber(require_service("mosquitto"))
    yield sub
    sub.close()


def use_mqtt(broker: dramatiq.Broker, url: str, prefix: str) -> None:
    """Points the actor's settings at an MQTT broker."""
    settings = records_of(broker).settings
    configure(settings.model_copy(update={"mqtt_url": url, "mqtt_topic_prefix": prefix}))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"symbols": []}, "symbols: List should have at least 1 item"),
        ({"symbols": [""]}, "symbols must be a non-empty list of names"),
        ({"rule_ids": ["x"]}, "rule_ids.0: Input should be a valid integer"),
        ({"rules": [1]}, "rules: Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_fail_at_send_time(alerts: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        alerts.send(**kwargs)


def test_positional_parameters_are_refused(alerts: Any) -> None:
    with pytest.raises(ParameterError, match="alerts takes keyword parameters only"):
        alerts.send(["AAPL"])


def test_alerts_are_delivered_to_mqtt_and_summarised(
    broker: dramatiq.Broker, start_worker: StartWorker, alerts: Any, subscriber: Subscriber
) -> None:
    use_mqtt(broker, subscriber.url, subscriber.prefix)
    engine = store(broker)
    seed_closes(engine, "AAPL", [190.0, 205.0])
    seed_closes(engine, "MSFT", [300.0])
    add_rule(
        engine,
        name="aapl-200",
        symbol="AAPL",
        rule_type="price_above",
        params={"level": 200},
        sinks=["mqtt", "log"],
    )
    start_worker()
    message = alerts.send()
    done = wait_for(broker, message.message_id, "completed")
    assert done.priority == "high"
    assert done.result is not None
    assert {k: done.result[k] for k in ("rules_checked", "fired", "recorded", "delivered", "failed")} == {
        "rules_checked": 1,
        "fired": 1,
        "recorded": 2,
        "delivered": 2,
        "failed": 0,
    }
    assert done.progress == 100
    topic, payload, qos = subscriber.get()
    assert (topic, payload["symbol"], payload["value"], qos) == (
        f"{subscriber.prefix}/AAPL",
        "AAPL",
        205.0,
        1,
    )


def test_mqtt_down_keeps_the_firing_as_failed_and_a_later_run_delivers_it(
    broker: dramatiq.Broker, start_worker: StartWorker, alerts: Any, subscriber: Subscriber
) -> None:
    use_mqtt(broker, f"mqtt://127.0.0.1:{free_port()}", subscriber.prefix)
    engine = store(broker)
    seed_closes(engine, "IBM", [99.0])
    add_rule(
        engine, name="ibm-100", symbol="IBM", rule_type="price_below", params={"level": 100}, sinks=["mqtt"]
    )
    start_worker()
    failing = alerts.send_with_options(kwargs={"symbols": ["IBM"]}, max_retries=1)
    dead = wait_for(broker, failing.message_id, "dead")
    assert dead.attempts == 2  # retried once
    assert dead.error is not None
    assert "1 alert deliveries failed" in dead.error
    assert "cannot reach the MQTT broker" in dead.error
    [(firing, rule_name)] = list_firings(engine)
    assert (rule_name, firing.status, firing.attempts) == ("ibm-100", "failed", 2)

    use_mqtt(broker, subscriber.url, subscriber.prefix)
    later = alerts.send()
    done = wait_for(broker, later.message_id, "completed")
    assert done.result is not None
    assert (done.result["fired"], done.result["delivered"], done.result["failed"]) == (0, 1, 0)
    topic, payload, _ = subscriber.get()
    assert (topic, payload["rule_name"]) == (f"{subscriber.prefix}/IBM", "ibm-100")
    [(firing, _)] = list_firings(engine)
    assert (firing.status, firing.attempts, firing.last_error) == ("delivered", 3, None)


def test_alerts_runs_last_in_a_pipeline_ignoring_the_previous_result(
    broker: dramatiq.Broker, start_worker: StartWorker, alerts: Any
) -> None:
    engine = store(broker)
    seed_closes(engine, "AAPL", [250.0])
    add_rule(engine, name="r", symbol="AAPL", rule_type="price_above", params={"level": 200})
    with actor_module(broker, "diagnostics", "sleep") as diagnostics:
        start_worker()
        pipe = dramatiq.pipeline(
            [
                diagnostics.sleep.message(seconds=0.0, steps=1),
                alerts.message_with_options(kwargs={"symbols": ["AAPL"]}, pipe_ignore=True),
            ]
        )
        pipe.run()  # type: ignore[no-untyped-call]
        last = pipe.messages[-1].message_id
        done = wait_for(broker, last, "completed")
    assert done.result is not None
    assert (done.result["fired"], done.result["delivered"]) == (1, 1)
