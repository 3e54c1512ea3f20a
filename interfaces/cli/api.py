"""``marketjobs api`` (the HTTP API and operator page) and ``marketjobs api-token`` (make a token)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from interfaces.cli.output import console
from marketjobs.config import get_settings
from marketjobs.store.migrate import upgrade

__all__ = ["make_token", "run_api"]

Role = Literal["viewer", "operator"]


def run_api(
    host: Annotated[str | None, typer.Option(help="address to bind (default: api_host)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="port (default: api_port)")] = None,
) -> None:
    """Serve the HTTP API and the operator page until Ctrl-C or SIGTERM."""
    import uvicorn

    from actors import broker  # declares every job type, so the API can enqueue and validate them
    from interfaces.api.app import create_app

    settings = get_settings()
    upgrade(settings.database_url)
    if not settings.api_tokens:
        console.print(
            "[yellow]no api_tokens configured: every request but /healthz and /readyz is refused; "
            "make one with `marketjobs api-token`[/yellow]"
        )
    bind_host, bind_port = host or settings.api_host, port or settings.api_port
    console.print(f"API and operator page: http://{bind_host}:{bind_port}/ (OpenAPI docs at /docs)")
    uvicorn.run(create_app(settings, broker), host=bind_host, port=bind_port, log_level="warning")


def make_token(
    name: Annotated[str, typer.Option(help="who or what will hold the token")],
    role: Annotated[
        Literal["viewer", "operator"], typer.Option(help="viewer reads; operator also acts")
    ] = "viewer",
) -> None:
    """Print a new API token once, and the settings entry (its hash) to add to api_tokens."""
    from interfaces.api.auth import hash_token, new_token

    token = new_token()
    console.print(f"token (shown once; give it to {name}): {token}", highlight=False, soft_wrap=True)
    console.print("add to the settings file under api_tokens:", highlight=False)
    console.print(
        f"  - {{name: {name}, role: {role}, sha256: {hash_token(token)}}}", highlight=False, soft_wrap=True
    )
