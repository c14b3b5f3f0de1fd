"""`aptrain rollover`: bring the maintained compliance counts up to a day (kept beside app/cli.py, which would
pass 400 lines). The SQL lives in app.services.compliance.maintained."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def rollover(
    day: Annotated[str | None, typer.Option("--date", help="The day to make the counts current for, YYYY-MM-DD (default: today)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Count every assignment afresh (a repair; also after upgrading)")] = False,
) -> None:
    """Roll the maintained compliance counts over to today: only assignments whose due, expiry, extension or
    exemption date was crossed since the last rollover move. Safe to run twice. Run it daily after midnight
    (the worker does, with APTRAIN_REMIND_HOUR): until the counts are current, today's views use the live query,
    and the first write of the day rolls them over if they are at most a week old."""
    from app.clock import today
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.compliance.maintained import roll_to

    try:
        when = date.fromisoformat(day) if day else today()
    except ValueError:
        raise typer.BadParameter(f"not a date: {day!r} (use YYYY-MM-DD)", param_hint="--date") from None
    with session_scope(make_engine(get_settings().database_url)) as session:
        done = roll_to(session, when, rebuild=rebuild)
    console.print({"current": f"Compliance counts: already current for {when}.",
                   "rolled": f"Compliance counts: rolled over to {when}.",
                   "rebuilt": f"Compliance counts: rebuilt for {when}."}[done])


def register_commands(cli: typer.Typer) -> None:
    cli.command()(rollover)
