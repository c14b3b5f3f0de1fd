"""`aptrain xapi backfill [--since D]`: enqueue the learning records of events recorded before (or without) an LRS."""

from __future__ import annotations

from typing import Annotated

import typer

xapi_cli = typer.Typer(help="Learning records (xAPI) for the Learning Record Store", no_args_is_help=True)


@xapi_cli.command("backfill")
def backfill_command(
    since: Annotated[str | None, typer.Option("--since", help="Only events from this day, YYYY-MM-DD (default: all)")] = None,
) -> None:
    """Enqueue an xAPI statement for every recorded attempt event (those already in the outbox are skipped, so
    running it twice sends nothing twice); `aptrain worker` delivers them."""
    from datetime import date

    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.learning import xapi

    try:
        day = date.fromisoformat(since) if since else None
    except ValueError:
        raise typer.BadParameter(f"not a date: {since!r} (use YYYY-MM-DD)", param_hint="--since") from None
    settings = get_settings()
    config = xapi.config_from(settings)
    if config is None:
        typer.echo("aptrain xapi backfill: no LRS is configured (set APTRAIN_XAPI_LRS_URL and its credentials)", err=True)
        raise typer.Exit(2)
    engine = make_engine(settings.database_url, settings.database_limits)
    try:
        with session_scope(engine) as session:
            made, new = xapi.backfill(session, config, day)
    finally:
        engine.dispose()
    typer.echo(f"{made} statement(s) for the events {'since ' + day.isoformat() if day else 'recorded'}: "
               f"{new} enqueued, {made - new} already in the outbox.")


def register_commands(cli: typer.Typer) -> None:
    cli.add_typer(xapi_cli, name="xapi")
