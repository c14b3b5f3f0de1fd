"""`aptrain`: serve the platform, migrate the database, seed demo data, check modules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

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


def alembic_config(database_url: str | None = None):
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
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (uvicorn workers) sharing the port")] = 1,
) -> None:
    """Serve the platform over HTTP, in one process or several (`--workers N`)."""
    from app import serving
    from app.config import get_settings
    from app.logs import configure_logging, logging_config
    from app.metrics_folder import prepare_multiprocess, remove_multiprocess

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)  # uvicorn applies it again in each worker
    if reload and workers > 1:
        raise typer.BadParameter("--reload runs one process: leave out --workers")
    if reload:
        os.environ["APTRAIN_RELOAD_MODULES"] = "true"  # read by the reloader's worker process
    metrics_folder = prepare_multiprocess(workers)  # the workers' metrics, added up at /metrics
    try:
        serving.run(
            workers=workers,
            reload=reload,
            host=host or settings.host,
            port=port or settings.port,
            log_level=settings.log_level,
            log_config=logging_config(settings.log_format, settings.log_level),
            access_log=False,  # app.web.observability logs each request once, with its id, route and duration
            proxy_headers=True,
            # SIGTERM: stop accepting, let requests in flight finish for this long, then close whatever is left.
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            # Longer than a load balancer's idle timeout (commonly 60 s), so the proxy, not this server, closes
            # idle connections: otherwise a request sent just as the server closes one is lost (seen at 5 s).
            timeout_keep_alive=75,
        )
    finally:
        remove_multiprocess(metrics_folder)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration up to the newest."""
    upgrade_database()
    console.print("Database is up to date.")
    _build_counts()


def _build_counts() -> None:
    """The maintained compliance counts, built for today if they are not (after a first upgrade, a long gap, or
    demo data written with its dates in place)."""
    from app.clock import today
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.compliance.maintained import roll_to

    with session_scope(make_engine(get_settings().database_url)) as session:
        done = roll_to(session, today())
    if done != "current":
        console.print(f"Compliance counts {done} for {today()}.")


@cli.command()
def seed(demo: Annotated[bool, typer.Option("--demo", help="Create the demo accounts")] = False) -> None:
    """Load demo data (development and test only)."""
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.demo.accounts import DEMO_PASSWORD, seed_demo

    if not demo:
        raise typer.BadParameter("say what to seed: --demo")
    settings = get_settings()
    if settings.environment == "production":
        console.print("[red]Refusing to create demo accounts in production.[/red]")
        raise typer.Exit(2)
    from app.clock import today
    from app.content import load_library
    from app.demo.population import place_demo_accounts, seed_population
    from app.services.compliance.snapshots import backfill_months

    with session_scope(make_engine(settings.database_url)) as session:
        accounts = seed_demo(session)
        summary = seed_population(session, load_library(settings.modules_dir), today())
        place_demo_accounts(session, today())
        if summary is not None:
            backfill_months(session, today())  # the 12-month trend: a snapshot at the end of each month
    _build_counts()
    if summary is not None:
        console.print(
            f"Demo population: {summary.departments} departments, {summary.units} units, {summary.officials} officials, "
            f"{summary.postings} postings, {summary.at_risk_countries} countries on the "
            f"Early Warning Project's 2025-26 list, {summary.requirements} requirements, {summary.assignments} assignments "
            "made over the past year, with a compliance snapshot at the end of each month."
        )
    table = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
    table.add_column("Email")
    table.add_column("Roles")
    for account in accounts:
        table.add_row(account.email, ", ".join(r.value for r in account.roles))
    console.print(table)


def _modules_settings():
    """Settings for the content commands, which need no secret: a fresh checkout can lint."""
    from pydantic import ValidationError

    from app.config import Settings, get_settings

    try:
        return get_settings()
    except ValidationError:
        return Settings(environment="development")


def _one_module(targets: list[Path], module_id: str):
    """The module with this id among the targets, or exit 1 saying why not."""
    from app.content.library import check_paths

    library = check_paths(targets)
    module = library.get(module_id)
    if module is None:
        broken = [path for path, rejected_id in library.rejected.items() if rejected_id == module_id]
        for diagnostic in (d for d in library.errors if d.file in broken):
            typer.echo(str(diagnostic))
        reason = "has errors: fix them first" if broken else "is not in " + ", ".join(str(t) for t in targets)
        typer.echo(f"module `{module_id}` {reason}", err=True)
        raise typer.Exit(1)
    return module


def _print_paths(module) -> None:
    from app.content.graph import all_paths

    points = module.max_score - module.max_path_score
    paths = all_paths(module)
    typer.echo(f"{module.id}: {len(paths)} path(s) from `{module.start}`; questions add up to {points} point(s); "
               f"maximum {module.max_score}; pass mark {module.pass_mark}%")
    for number, path in enumerate(paths, 1):
        best = path.score + points
        if path.outcome == "poor":
            verdict = "fails: a poor ending never passes"
        else:
            verdict = "passes" if module.passes(best, path.outcome) else "fails"
        outcome = f" ({path.outcome})" if path.outcome else ""
        factors = ", ".join(path.risk_factors) or "none"
        typer.echo(f"{number}. score {path.score}, ending {path.ending}{outcome}, risk factors {factors}; "
                   f"with every question right {best}/{module.max_score} = {module.percent(best)}%, {verdict}")
        typer.echo(f"   {path.steps}")


@modules_cli.command("check")
def modules_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Module files or folders (default: the modules folder)")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too")] = False,
    graph: Annotated[str | None, typer.Option("--graph", metavar="ID", help="Print module ID's scene graph (Mermaid)")] = None,
    show_paths: Annotated[str | None, typer.Option("--paths", metavar="ID", help="Print every path through module ID")] = None,
) -> None:
    """Lint modules: prints `file:line: error|warning CODE message`; exits 1 on any error (or warning with --strict)."""
    from app.content.library import check_paths
    from app.content.versions import version_drift
    from app.services.learning.versions import recorded_versions

    settings = _modules_settings()
    targets = paths or [settings.modules_dir]
    missing = [p for p in targets if not p.exists()]
    if missing:
        for path in missing:
            typer.echo(f"{path}: error no such file or folder", err=True)
        raise typer.Exit(2)
    if graph or show_paths:
        from app.content.graph import mermaid

        if graph:
            typer.echo(mermaid(_one_module(targets, graph)), nl=False)
        if show_paths:
            _print_paths(_one_module(targets, show_paths))
        return
    library = check_paths(targets)
    drift = version_drift(library, recorded_versions(settings.database_url))
    diagnostics = sorted(library.diagnostics + drift, key=lambda d: (d.file, d.line, d.code))
    for diagnostic in diagnostics:
        typer.echo(str(diagnostic))
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    typer.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        raise typer.Exit(1)


@modules_cli.command("coverage")
def modules_coverage(
    folder: Annotated[Path | None, typer.Argument(help="Modules folder (default: the modules folder)")] = None,
) -> None:
    """Print which modules exercise which risk factors, and the factors fewer than two modules cover."""
    from app.content import load_library
    from app.content.coverage import MINIMUM_MODULES, coverage

    directory = folder or _modules_settings().modules_dir
    if not directory.is_dir():
        typer.echo(f"{directory}: error no such folder", err=True)
        raise typer.Exit(2)
    matrix = coverage(load_library(directory))
    width = max((len(f"{f.code} {f.title}") for f in matrix.factors), default=0)
    width = min(width, 60)
    header = " ".join(matrix.modules)
    typer.echo(f"{'Risk factor':<{width}}  {header}  modules")
    for factor in matrix.factors:
        name = f"{factor.code} {factor.title}".strip()
        name = name if len(name) <= width else name[: width - 1] + "…"
        marks = " ".join(f"{'x' if matrix.cells[(factor.code, m)] else '.':^{len(m)}}" for m in matrix.modules)
        typer.echo(f"{name:<{width}}  {marks}  {matrix.count(factor.code):>7}")
    thin = matrix.thin()
    if thin:
        typer.echo(f"Covered by fewer than {MINIMUM_MODULES} modules: " + ", ".join(f.code for f in thin))
    else:
        typer.echo(f"Every risk factor is covered by at least {MINIMUM_MODULES} modules.")


import_cli = typer.Typer(help="Import the HR roster and at-risk country lists (all-or-nothing; --dry-run to preview)", no_args_is_help=True)
cli.add_typer(import_cli, name="import")
SUMMARY_LIMIT = 200  # lines listed per kind of change; the counts are always complete


def _print_import(path: Path, report, dry_run: bool) -> None:
    """Errors as PATH:LINE: message (exit 1), warnings likewise, then what changed or would change."""
    for problem in report.errors:
        typer.echo(f"{path}:{problem.line}: {problem.message}")
    for warning in report.warnings:
        typer.echo(f"{path}:{warning.line}: warning: {warning.message}")
    if report.errors:
        typer.echo(f"{len(report.errors)} error(s) in {report.rows} row(s): nothing was changed.", err=True)
        raise typer.Exit(1)
    for kind in ("added", "changed", "ended"):
        lines = getattr(report, kind)
        for line in lines[:SUMMARY_LIMIT]:
            typer.echo(f"{kind}: {line}")
        if len(lines) > SUMMARY_LIMIT:
            typer.echo(f"{kind}: … and {len(lines) - SUMMARY_LIMIT} more")
    counts = report.counts
    verb = "Dry run, nothing changed: would add" if dry_run else "Imported: added"
    typer.echo(f"{verb} {counts['added']}, change {counts['changed']}, end {counts['ended']} ({report.rows} row(s)).")


def _import_session():
    from app.config import get_settings
    from app.db import make_engine, session_scope

    return session_scope(make_engine(get_settings().database_url))


@import_cli.command("roster")
def import_roster_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The HR roster CSV")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and show what would change; change nothing")] = False,
    full: Annotated[bool, typer.Option("--full", help="The file lists everyone: mark officials not in it as left")] = False,
) -> None:
    """Officials, units, line managers and postings from an HR CSV."""
    from rich.progress import Progress

    from app.services.organisation.roster import import_roster

    with _import_session() as session, Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"Checking {path.name}", total=None)
        report = import_roster(
            session, path.read_bytes(), filename=path.name, dry_run=dry_run, full=full,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    _print_import(path, report, dry_run)


@import_cli.command("risk")
def import_risk_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An EWP forecasts CSV or a country,at_risk,level CSV")],
    source: Annotated[str, typer.Option("--source", help="Whose assessment this is, e.g. 'Early Warning Project Statistical Risk Assessment'")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and show what would change; change nothing")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="EWP files: ranks 1..N are flagged at risk")] = 30,
    edition: Annotated[str | None, typer.Option("--edition", help="e.g. 2025-26 (EWP: taken from the column names)")] = None,
    assessed_on: Annotated[str | None, typer.Option("--date", help="Publication date YYYY-MM-DD (default: from the file name)")] = None,
) -> None:
    """At-risk countries from a source's list, e.g. the Early Warning Project's published CSV."""
    from datetime import date

    from app.services.organisation.risk_import import import_risk

    try:
        when = date.fromisoformat(assessed_on) if assessed_on else None
    except ValueError:
        raise typer.BadParameter(f"not a date: {assessed_on!r} (use YYYY-MM-DD)", param_hint="--date") from None
    with _import_session() as session:
        report = import_risk(
            session, path.read_bytes(), source=source, filename=path.name, dry_run=dry_run, top=top, edition=edition,
            assessed_on=when,
        )
    _print_import(path, report, dry_run)


@cli.command()
def snapshot(
    day: Annotated[str | None, typer.Option("--date", help="The day to snapshot, YYYY-MM-DD (default: today)")] = None,
    backfill_from: Annotated[
        str | None, typer.Option("--backfill-from", help="Also every day from this one, YYYY-MM-DD, computed from the stored assignments")
    ] = None,
) -> None:
    """Store the compliance counts per (unit, module) for a day, replacing that day's rows (safe to run twice)."""
    from datetime import date

    from app.clock import today
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.compliance.snapshots import backfill

    def parse(text: str, option: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise typer.BadParameter(f"not a date: {text!r} (use YYYY-MM-DD)", param_hint=option) from None

    end = parse(day, "--date") if day else today()
    start = parse(backfill_from, "--backfill-from") if backfill_from else end
    if start > end:
        raise typer.BadParameter("must not be after --date", param_hint="--backfill-from")
    with session_scope(make_engine(get_settings().database_url)) as session:
        written = backfill(session, start, end)
    rows = sum(written.values())
    console.print(f"Snapshot: {len(written)} day(s) from {start} to {end}, {rows} (unit, module) row(s).")



# `aptrain worker` and `aptrain remind` live beside this file (this one would pass 400 lines).
from app.delivery_cli import register_commands  # noqa: E402

register_commands(cli)

# `aptrain xapi backfill` too (app/xapi_cli.py).
from app.xapi_cli import register_commands as register_xapi_commands  # noqa: E402

register_xapi_commands(cli)


# `aptrain rollover` (app/counts_cli.py).
from app.counts_cli import register_commands as register_counts_commands  # noqa: E402

register_counts_commands(cli)

# `aptrain db backup` and `aptrain db restore` (app/ops_cli.py).
from app.ops_cli import register_commands as register_db_commands  # noqa: E402

register_db_commands(db_cli)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
