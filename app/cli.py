"""`aptrain`: serve the platform, migrate the database, seed demo data, check modules."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from app import PROJECT_ROOT

cli = typer.Typer(help="Atrocity Prevention Training", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema", no_args_is_help=True)
modules_cli = typer.Typer(help="Scenario modules", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(modules_cli, name="modules")
console = Console()


def alembic_config(database_url: str | None = None):  # noqa: ANN201
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")


@cli.command()
def serve(
    reload: Annotated[bool, typer.Option(help="Restart when Python code changes (development)")] = False,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on")] = None,
) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    from app.config import get_settings

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_level=settings.log_level,
        proxy_headers=True,
    )


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration up to the newest."""
    upgrade_database()
    console.print("Database is up to date.")


@cli.command()
def seed(demo: Annotated[bool, typer.Option("--demo", help="Create the demo accounts")] = False) -> None:
    """Load demo data (development and test only)."""
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.demo import DEMO_PASSWORD, seed_demo

    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    settings = get_settings()
    if settings.environment == "production":
        console.print("[red]Refusing to create demo accounts in production.[/red]")
        raise typer.Exit(2)
    with session_scope(make_engine(settings.database_url)) as session:
        accounts = seed_demo(session)
    table = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
    table.add_column("Email")
    table.add_column("Roles")
    for account in accounts:
        table.add_row(account.email, ", ".join(r.value for r in account.roles))
    console.print(table)


@modules_cli.command("check")
def modules_check(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Module files or folders (default: the modules folder)")] = None,
) -> None:
    """Lint modules: prints `file:line: error|warning CODE message`; exits 1 on any error."""
    from app.config import get_settings
    from app.content import lint_paths

    targets = paths or [get_settings().modules_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        for path in missing:
            typer.echo(f"{path}: error no such file or folder", err=True)
        raise typer.Exit(2)
    diagnostics = lint_paths(targets)
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic))
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        raise typer.Exit(1)


def main() -> None:
    cli()
