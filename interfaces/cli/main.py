"""``marketjobs``: database migrations, job listings, cancel, dead letters and queue depth."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from interfaces.cli import (
    alerts,
    api,
    db,
    dlq,
    enqueue,
    exporter,
    health,
    jobs,
    portfolios,
    queues,
    schedules,
    supervisor,
    up,
    worker,
    workers,
)
from interfaces.cli.output import console
from marketjobs.config import CONFIG_ENV_VAR, configure, load_settings
from marketjobs.errors import MarketJobsError
from marketjobs.redact import install_log_redaction

__all__ = ["app", "main"]

app = typer.Typer(help="Background jobs for stock-market analysis.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(jobs.app, name="jobs")
app.add_typer(dlq.app, name="dlq")
app.add_typer(schedules.app, name="schedules")
app.add_typer(alerts.app, name="alerts")
app.add_typer(portfolios.app, name="portfolios")
app.command("queues")(queues.show_queues)
app.command("worker")(worker.run_worker)
app.command("workers")(workers.show_workers)
app.command("supervisor")(supervisor.run_supervisor)
app.command("enqueue")(enqueue.enqueue)
app.command("import")(enqueue.import_files)
app.command("pipeline")(enqueue.run_pipeline)
app.command("scheduler")(schedules.run_scheduler)
app.command("exporter")(exporter.run_exporter)
app.command("health")(health.show_health)
app.command("up")(up.run_up)
app.command("api")(api.run_api)
app.command("api-token")(api.make_token)


@app.command("demo")
def demo(
    universe: Annotated[int, typer.Option(min=0, help="synthetic symbols besides the real ones")] = 300,
    processes: Annotated[int, typer.Option(min=1, help="worker processes")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="threads per worker process")] = 4,
) -> None:
    """Run the no-server demo: real and synthetic bars, the analysis pipeline and a portfolio, end to end."""
    from interfaces.cli.demo import DemoOptions, run_demo

    run_demo(DemoOptions(universe=universe, processes=processes, threads=threads))


@app.callback()
def _root(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML settings file (else MARKETJOBS_CONFIG)")
    ] = None,
) -> None:
    """Background jobs for stock-market analysis."""
    install_log_redaction()
    settings = load_settings(config)
    configure(settings)
    if config is not None:  # child processes and reloads (SIGHUP) read the same file
        os.environ[CONFIG_ENV_VAR] = str(config.resolve())
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


def main() -> None:
    """Entry point of the ``marketjobs`` script: errors become one readable line and exit code 1."""
    try:
        app(standalone_mode=False)
    except MarketJobsError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(1) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except typer.TyperException as exc:  # usage errors: typer's vendored click exceptions
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
