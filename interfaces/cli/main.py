"""``marketjobs``: database migrations, job listings, cancel, dead letters and queue depth."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.text import Text

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
from interfaces.cli.failures import describe_failure
from interfaces.cli.output import error_console
from marketjobs.config import CONFIG_ENV_VAR, configure, load_settings
from marketjobs.redact import install_log_redaction, redact_text

__all__ = ["DEBUG_ENV_VAR", "app", "main"]

#: Environment variable that makes the CLI show tracebacks (like ``--debug``).
DEBUG_ENV_VAR = "MARKETJOBS_DEBUG"

app = typer.Typer(help="Background jobs for stock-market analysis.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(jobs.app, name="jobs")
app.add_typer(dlq.app, name="dlq")
app.add_typer(schedules.app, name="schedules")
app.add_typer(alerts.app, name="alerts")
app.add_typer(portfolios.app, name="portfolios")
app.add_typer(queues.app, name="queues")
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
    universe: Annotated[
        int, typer.Option(min=0, max=100_000, help="synthetic symbols besides the real ones")
    ] = 300,
    processes: Annotated[int, typer.Option(min=1, max=256, help="worker processes")] = 2,
    threads: Annotated[int, typer.Option(min=1, max=256, help="threads per worker process")] = 4,
) -> None:
    """Run the no-server demo: real and synthetic bars, the analysis pipeline and a portfolio, end to end."""
    from interfaces.cli.demo import DemoOptions, run_demo

    run_demo(DemoOptions(universe=universe, processes=processes, threads=threads))


@app.callback()
def _root(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML settings file (else MARKETJOBS_CONFIG)")
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help=f"show the traceback of an error (or {DEBUG_ENV_VAR}=1)")
    ] = False,
) -> None:
    """Background jobs for stock-market analysis."""
    if debug:
        os.environ[DEBUG_ENV_VAR] = "1"
    install_log_redaction()
    settings = load_settings(config)
    configure(settings)
    if config is not None:  # child processes and reloads (SIGHUP) read the same file
        os.environ[CONFIG_ENV_VAR] = str(config.resolve())
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    if not _debugging():  # drivers log each failed connection with a traceback; the error names the fix
        logging.getLogger("pika").setLevel(logging.CRITICAL)


def _usage_error(exc: typer.TyperException) -> NoReturn:
    """A usage error as one line with the command's ``--help`` (the full help when no command was given)."""
    format_message = getattr(exc, "format_message", None)
    context = getattr(exc, "ctx", None)
    if format_message is None or type(exc).__name__ == "NoArgsIsHelpError":
        show = getattr(exc, "show", None)
        if show is None:
            raise exc
        show()
    else:
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        error_console.print(Text.assemble(("error:", "red"), " ", f"{format_message()}{hint}"))
    raise SystemExit(getattr(exc, "exit_code", 2)) from None


def _debugging() -> bool:
    return os.environ.get(DEBUG_ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on")


def main() -> None:
    """Entry point of the ``marketjobs`` script: an error becomes one to three lines naming the fix, exit
    code 2 for usage and settings, 1 at run time (``--debug`` / ``MARKETJOBS_DEBUG=1`` adds the traceback)."""
    try:
        code = app(standalone_mode=False, prog_name="marketjobs")
    except (typer.Abort, KeyboardInterrupt):
        raise SystemExit(130) from None
    except typer.TyperException as exc:  # usage errors: typer's vendored click exceptions
        _usage_error(exc)
    except Exception as exc:
        failure = describe_failure(exc)
        if _debugging():
            error_console.print(redact_text("".join(traceback.format_exception(exc))), highlight=False)
        error_console.print(Text.assemble(("error:", "red"), " ", failure.message))
        raise SystemExit(failure.exit_code) from None
    if isinstance(code, int) and code:  # typer.Exit(code) without standalone mode
        raise SystemExit(code)
