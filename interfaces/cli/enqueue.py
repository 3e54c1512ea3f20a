"""``marketjobs enqueue <job type> --param k=v ...`` and ``marketjobs import <path>``: send jobs from a shell.

Values are read as JSON when they parse (``chunk_rows=5000``, ``columns={"Date": "ts"}``) and as text
otherwise (``path=data/prices``). Job types that validate their parameters do so here, before sending.
``--wait`` follows the jobs to their end (:mod:`interfaces.cli.wait`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from interfaces.cli.output import console, emit_json
from interfaces.cli.wait import wait_for_jobs
from marketjobs.constants import Priority
from marketjobs.errors import ParameterError

WaitOption = Annotated[
    bool, typer.Option("--wait", "-w", help="follow the job(s) to the end; exit 1 unless they complete")
]
TimeoutOption = Annotated[
    float | None, typer.Option(min=0, max=86_400 * 7, help="with --wait: give up after this many seconds")
]


def _check_timeout(wait: bool, timeout: float | None) -> None:
    if timeout is not None and not wait:
        raise typer.BadParameter("--timeout only applies with --wait; add --wait")


__all__ = ["enqueue", "import_files", "parse_param", "run_pipeline"]


def parse_param(text: str) -> tuple[str, Any]:
    """``"k=v"`` -> ``("k", v)`` with ``v`` decoded as JSON when it is JSON, else kept as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"parameter {text!r} is not key=value; write e.g. --param path=data/prices")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _send(
    job_type: str, kwargs: dict[str, Any], priority: Priority | None, as_json: bool, wait: bool = False
) -> str:
    import actors

    try:
        actor = actors.broker.get_actor(job_type)
    except Exception:
        known = ", ".join(sorted(actors.broker.actors))
        raise ParameterError(f"unknown job type {job_type!r}; use one of: {known}") from None
    options: dict[str, Any] = {"priority": priority.value} if priority else {}
    message = actor.send_with_options(kwargs=kwargs, **options)
    if as_json and not wait:
        emit_json({"id": message.message_id, "job_type": job_type, "queue": message.queue_name})
    elif not as_json:
        console.print(f"enqueued {job_type} job {message.message_id}")
    return str(message.message_id)


def enqueue(
    job_type: Annotated[str, typer.Argument(help="the job type (actor name), e.g. data_import")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="a parameter as key=value (repeatable)")
    ] = None,
    priority: Annotated[Priority | None, typer.Option(help="critical, high, normal or low")] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Send one job with keyword parameters (with --wait: follow it, print its result)."""
    _check_timeout(wait, timeout)
    job_id = _send(job_type, dict(parse_param(p) for p in param or []), priority, as_json, wait)
    if wait:
        wait_for_jobs([(job_id, job_type)], as_json=as_json, timeout=timeout)


def import_files(
    path: Annotated[str, typer.Argument(help="a CSV, CSV.gz or Parquet file, or a directory of them")],
    column: Annotated[
        list[str] | None,
        typer.Option("--column", help="source=target column mapping, e.g. Date=ts (repeatable)"),
    ] = None,
    symbol: Annotated[
        str | None, typer.Option(help="the symbol, when the files have no symbol column")
    ] = None,
    timezone: Annotated[str, typer.Option(help="time zone of naive timestamps")] = "UTC",
    no_check: Annotated[
        bool, typer.Option("--no-check", help="the path exists on the workers' hosts only: do not look here")
    ] = False,
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Send a data_import job for price history files; workers stream, validate and upsert them."""
    _check_timeout(wait, timeout)
    if not no_check:
        from marketjobs.marketdata.importer import find_files

        try:
            find_files(path)
        except ParameterError as exc:
            raise ParameterError(f"{exc} (a path only the workers see? add --no-check)") from None
    kwargs: dict[str, Any] = {"path": path, "timezone": timezone}
    if column:
        mapping = dict(c.split("=", 1) for c in column if "=" in c)
        if len(mapping) != len(column):
            raise ParameterError("--column takes source=target, e.g. --column Date=ts")
        kwargs["columns"] = mapping
    if symbol:
        kwargs["symbol"] = symbol
    job_id = _send("data_import", kwargs, None, as_json, wait)
    if wait:
        wait_for_jobs([(job_id, "data_import")], as_json=as_json, timeout=timeout)


def run_pipeline(
    source: Annotated[
        str, typer.Option(help="bar source of the price update: file, synthetic or a provider of sources:")
    ],
    symbols: Annotated[
        str, typer.Option(help="comma-separated symbols, or 'all' (every stored symbol)")
    ] = "all",
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="a source option as key=value (repeatable)")
    ] = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", "-i", help="e.g. RSI_14, MACD_12_26_9 (default: 12)")
    ] = None,
    no_patterns: Annotated[bool, typer.Option("--no-patterns", help="skip candlestick patterns")] = False,
    wait: WaitOption = False,
    timeout: TimeoutOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Send the pipeline price_update -> technical_analysis -> alerts (each step after the last succeeds)."""
    _check_timeout(wait, timeout)
    from actors.pipelines import market_pipeline
    from marketjobs.analysis.technical import DEFAULT_INDICATORS

    chosen = "all" if symbols.strip() == "all" else [s.strip() for s in symbols.split(",") if s.strip()]
    pipeline = market_pipeline(
        source=source,
        symbols=chosen,
        source_options=dict(parse_param(o) for o in option or []),
        indicators=indicator or DEFAULT_INDICATORS,
        patterns=None if no_patterns else "all",
    )
    pipeline.run()
    ids = {m.actor_name: m.message_id for m in pipeline.messages}
    if as_json and not wait:
        emit_json(ids)
    elif not as_json:
        console.print("sent " + " -> ".join(f"{name} {job_id}" for name, job_id in ids.items()))
    if wait:
        steps = [(job_id, name) for name, job_id in ids.items()]
        wait_for_jobs(steps, as_json=as_json, timeout=timeout)
