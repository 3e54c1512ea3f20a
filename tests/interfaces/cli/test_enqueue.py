"""``marketjobs enqueue`` and ``marketjobs import``: jobs sent from a shell, parameters checked first."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interfaces.cli.enqueue import parse_param
from interfaces.cli.main import app
from marketjobs.config import configure
from marketjobs.errors import ParameterError
from marketjobs.jobs import get_job
from marketjobs.jobs.records import JobRecords
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade
from tests.conftest import records_of

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQL broker and the store in one fresh SQLite file, as on a laptop."""
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_RECORDS_FLUSH_SECONDS", "0.01")
    configure(None)
    yield sqlite_url
    configure(None)


def sent(args: list[str]) -> dict[str, str]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("path=data/prices", ("path", "data/prices")),
        ("chunk_rows=5000", ("chunk_rows", 5000)),
        ('columns={"Date": "ts"}', ("columns", {"Date": "ts"})),
        ("note=a=b", ("note", "a=b")),
    ],
)
def test_parameters_are_json_when_they_parse_and_text_otherwise(
    text: str, expected: tuple[str, object]
) -> None:
    assert parse_param(text) == expected


def test_a_parameter_without_equals_names_the_form() -> None:
    with pytest.raises(ParameterError, match="key=value"):
        parse_param("path")


def _records_store() -> JobRecords:
    """The records middleware of ``actors``' broker, with its store migrated: ``actors`` keeps the settings
    it was first imported with in this test process, and a test since may have reset that database."""
    import actors

    records = records_of(actors.broker)
    upgrade(records.settings.database_url)
    return records


def test_enqueue_sends_a_pending_job_with_its_parameters(store: str) -> None:
    records = _records_store()  # whichever settings actors was first imported with, it writes the job
    job = sent(["enqueue", "sleep", "--param", "seconds=0.5", "--priority", "high"])
    records.flush()
    record = get_job(create_store_engine(records.settings.database_url), job["id"])
    assert record.status == "pending"
    assert record.priority == "high"
    assert record.parameters == {"args": [], "kwargs": {"seconds": 0.5}}


def test_unknown_job_type_lists_the_known_ones(store: str) -> None:
    result = runner.invoke(app, ["enqueue", "no_such_job"])
    assert isinstance(result.exception, ParameterError)
    assert "data_import" in str(result.exception)


def test_import_validates_parameters_before_sending(store: str) -> None:
    result = runner.invoke(app, ["import", "bars/", "--no-check", "--timezone", "Mars/Olympus"])
    assert isinstance(result.exception, ParameterError)
    assert "IANA" in str(result.exception)


def test_import_sends_a_data_import_job_with_the_column_mapping(store: str) -> None:
    job = sent(["import", "bars/", "--no-check", "--column", "Date=ts", "--symbol", "AAPL"])
    assert job["job_type"] == "data_import"


@pytest.mark.parametrize(
    ("make", "problem"),
    [(lambda path: None, "does not exist"), (lambda path: path.mkdir(), "holds no .csv")],
)
def test_import_refuses_a_path_without_bar_files_before_sending(
    store: str, tmp_path: Path, make: Callable[[Path], None], problem: str
) -> None:
    make(tmp_path / "bars")
    result = runner.invoke(app, ["import", str(tmp_path / "bars")])
    assert isinstance(result.exception, ParameterError)
    assert problem in str(result.exception)
    assert "add --no-check" in str(result.exception)


def test_timeout_without_wait_is_a_usage_error(store: str) -> None:
    result = runner.invoke(app, ["enqueue", "noop", "--timeout", "5"])
    assert result.exit_code == 2
    assert "--timeout only applies with --wait" in result.output


def test_pipeline_sends_its_first_step_and_carries_the_rest(store: str) -> None:
    records = _records_store()
    ids = sent(
        ["pipeline", "--source", "synthetic", "--symbols", "AAPL,MSFT", "-o", "bars=2", "-i", "RSI_14"]
    )
    assert list(ids) == ["price_update", "technical_analysis", "alerts"]
    records.flush()
    first = get_job(create_store_engine(records.settings.database_url), ids["price_update"])
    assert first.status == "pending"
    assert first.parameters == {
        "args": [],
        "kwargs": {"symbols": ["AAPL", "MSFT"], "source": "synthetic", "options": {"bars": 2}},
    }
    # later steps are sent when the one before succeeds: they ride in the first message's options
    target = first.options["pipe_target"]
    assert (target["actor_name"], target["message_id"]) == ("technical_analysis", ids["technical_analysis"])
    assert target["kwargs"]["indicators"] == ["RSI_14"]
    assert target["options"]["pipe_target"]["message_id"] == ids["alerts"]


def test_pipeline_refuses_a_bad_step_before_sending_anything(store: str) -> None:
    result = runner.invoke(app, ["pipeline", "--source", "synthetic", "-i", "RSX_14"])
    assert isinstance(result.exception, ParameterError)
    assert "unknown function 'rsx'" in str(result.exception)
    result = runner.invoke(app, ["pipeline", "--source", "nowhere"])
    assert isinstance(result.exception, ParameterError)
    assert "nowhere" in str(result.exception)
