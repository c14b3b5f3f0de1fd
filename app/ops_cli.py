"""`aptrain db backup PATH` and `aptrain db restore PATH --yes` (kept beside app/cli.py, which would pass 400
lines). The work is in app.services.backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
PG_RESTORE = ("pg_restore --clean --if-exists --no-owner --single-transaction "
              "--dbname=postgresql://USER@HOST:5432/aptrain PATH")


def backup(
    path: Annotated[Path, typer.Argument(help="Where to write the backup (replaced if it exists)")],
) -> None:
    """Back up the database while the service runs: SQLite's online backup API (a consistent copy of one moment,
    checked), or pg_dump's custom format on PostgreSQL."""
    from app.config import get_settings
    from app.services.backup import BackupError, backup_sqlite, pg_dump, sqlite_path

    settings = get_settings()
    try:
        database = sqlite_path(settings.database_url)
        if database is not None:
            done = backup_sqlite(database, path, settings.db_busy_timeout_seconds)
        else:
            done = pg_dump(settings.database_url, path)
    except BackupError as error:
        console.print(f"[red]Backup failed:[/red] {error}")
        raise typer.Exit(1) from None
    revision = f", migration {done.revision}" if done.revision else ""
    console.print(f"Backed up to {done.path} ({done.size:,} bytes{revision}).")


def restore(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A backup made by aptrain db backup")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database's contents (stop the server and worker first)")] = False,
) -> None:
    """Replace the SQLite database with a backup, keeping the database as it was beside it. Stop the server and
    the worker first. On PostgreSQL, prints the pg_restore command instead."""
    from app.config import get_settings
    from app.services.backup import BackupError, restore_sqlite, sqlite_path

    settings = get_settings()
    try:
        database = sqlite_path(settings.database_url)
    except BackupError as error:
        console.print(f"[red]Restore failed:[/red] {error}")
        raise typer.Exit(1) from None
    if database is None:
        console.print(f"On PostgreSQL, restore with pg_restore (stop the server and worker first):\n  {PG_RESTORE}")
        raise typer.Exit(2)
    if not yes:
        console.print(f"This replaces everything in {database} with {path}. Stop the server and the worker "
                      "(`aptrain serve`, `aptrain worker`) first, then run again with --yes.")
        raise typer.Exit(1)
    try:
        done, kept = restore_sqlite(path, database, settings.db_busy_timeout_seconds)
    except BackupError as error:
        console.print(f"[red]Restore failed:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(f"Restored {done.path} from {path} (migration {done.revision})."
                  + (f" The database as it was is in {kept}." if kept else "")
                  + " Run `aptrain db upgrade` if this code is newer than the backup.")


def register_commands(db_cli: typer.Typer) -> None:
    db_cli.command("backup")(backup)
    db_cli.command("restore")(restore)
