"""`aptrain worker` (delivers the outbox) and `aptrain remind` (enqueues the day's reminders)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer


def configure_senders(settings) -> None:
    """Register every channel's sender for this process: email (log or GOV.UK Notify), then any channel whose
    module offers `register(settings)` (xAPI: app.services.learning.lrs registers "xapi" when an LRS is set)."""
    import importlib

    from app.services.email import email_sender
    from app.services.outbox import register_sender

    register_sender("email", email_sender(settings))
    for name in SENDER_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        register = getattr(module, "register", None)
        if register is not None:
            register(settings)


SENDER_MODULES = ("app.services.learning.lrs",)


def worker(
    until_empty: Annotated[bool, typer.Option("--until-empty", help="Stop when nothing is due (instead of waiting for more)")] = False,
) -> None:
    """Deliver the outbox (emails, learning records); stops cleanly on SIGTERM or Ctrl-C.

    On PostgreSQL run as many as you like; on SQLite one (a second is refused)."""
    import signal
    import threading
    from contextlib import nullcontext

    from app.config import get_settings
    from app.db import make_engine
    from app.logs import configure_logging
    from app.services import worker as outbox_worker

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)  # JSON lines in production, as the server's
    configure_senders(settings)
    engine = make_engine(settings.database_url, settings.database_limits)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    policy = outbox_worker.RetryPolicy(settings.outbox_max_attempts, settings.outbox_retry_base_seconds,
                                       settings.outbox_retry_max_seconds)
    schedule = _daily_reminders(settings, engine) if settings.remind_hour is not None else None
    try:
        lock = outbox_worker.SqliteWorkerLock(settings.database_url) if settings.is_sqlite else nullcontext()
        with lock:
            tally = outbox_worker.run(
                engine, batch=settings.worker_batch_size, claim_seconds=settings.worker_claim_seconds,
                poll_seconds=settings.worker_poll_seconds, policy=policy, stop=stop, until_empty=until_empty,
                every_loop=schedule,
            )
    except outbox_worker.WorkerAlreadyRunning as error:
        typer.echo(f"aptrain worker: {error}", err=True)
        raise typer.Exit(3) from None
    finally:
        engine.dispose()
    typer.echo(f"Worker stopped: {tally.sent} sent, {tally.retried} to retry, {tally.failed} failed, "
               f"{tally.released} given back.", err=True)


def _daily_reminders(settings, engine):
    """The worker's own schedule: once a day, from APTRAIN_REMIND_HOUR (UTC), the day's reminders."""
    from app import clock
    from app.db import session_scope
    from app.services.compliance.maintained import roll_to
    from app.services.reminders import remind

    done: set = set()

    def maybe_remind() -> None:
        now = clock.utcnow()
        if now.hour < settings.remind_hour or now.date() in done:
            return
        with session_scope(engine) as session:  # the compliance counts first, in a transaction of their own
            roll_to(session, now.date())
        with session_scope(engine) as session:
            result = remind(session, now.date(), base_url=settings.base_url)
        done.add(now.date())
        logging.getLogger("aptrain.worker").info("reminders for %s: %s enqueued", now.date(), result.total)

    return maybe_remind


def remind(
    as_at: Annotated[str | None, typer.Option("--as-at", help="The day to remind for, YYYY-MM-DD (default: today)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what is due, per kind; enqueue nothing")] = False,
) -> None:
    """Enqueue the day's reminders (run daily; safe to run twice, or twice at once: nothing is sent twice)."""
    from datetime import date

    from app.clock import today
    from app.config import get_settings
    from app.db import make_engine, session_scope
    from app.services.reminders import remind as enqueue_reminders
    from app.services.reminders.texts import KINDS

    try:
        on = date.fromisoformat(as_at) if as_at else today()
    except ValueError:
        raise typer.BadParameter(f"not a date: {as_at!r} (use YYYY-MM-DD)", param_hint="--as-at") from None
    settings = get_settings()
    engine = make_engine(settings.database_url, settings.database_limits)
    with session_scope(engine, write=not dry_run) as session:
        result = enqueue_reminders(session, on, base_url=settings.base_url, dry_run=dry_run)
        if dry_run:
            session.rollback()
    engine.dispose()
    verb = "would enqueue" if dry_run else "enqueued"
    typer.echo(f"Reminders as at {on.isoformat()}{' (dry run, nothing changed)' if dry_run else ''}:")
    for kind in KINDS:
        if kind != "assigned":
            typer.echo(f"  {kind}: {result.counts.get(kind, 0)}")
    typer.echo(f"Total {verb}: {result.total}")



def register_commands(cli: typer.Typer) -> None:
    cli.command()(worker)
    cli.command()(remind)
