"""``marketjobs db``: schema migrations of the job store."""

from __future__ import annotations

import typer

from interfaces.cli.output import console
from marketjobs.config import get_settings
from marketjobs.redact import redact_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Schema migrations of the job store.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the job store (MARKETJOBS_DATABASE_URL) to the newest schema."""
    url = get_settings().database_url
    reached = upgrade(url, revision)
    shown = redact_url(create_store_engine(url).url.render_as_string())
    console.print(f"job store {shown} is at revision {reached}")


@app.command("current")
def current_command() -> None:
    """Show the store's revision and the newest one this version ships."""
    engine = create_store_engine(get_settings().database_url)
    current = current_revision(engine) or "none (run `marketjobs db upgrade`)"
    console.print(f"current: {current}; head: {head_revision()}")
