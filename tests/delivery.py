"""Outbox workers as real processes (`aptrain worker`) sending to the local Notify server: shared by the fault
tests (tests/server/test_delivery_faults.py) and the throughput benchmark (bench/notify_throughput.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app import PROJECT_ROOT
from app.db import session_scope
from app.models import OutboxMessage
from app.services import outbox
from tests.conftest import TEST_SECRET
from tests.notify_server import API_KEY, TEMPLATE_ID


def worker_env(database_url: str, notify_url: str, **overrides: str) -> dict[str, str]:
    return {
        **os.environ,
        "APTRAIN_ENVIRONMENT": "test",
        "APTRAIN_SECRET_KEY": TEST_SECRET,
        "APTRAIN_DATABASE_URL": database_url,
        "APTRAIN_EMAIL_SENDER": "notify",
        "APTRAIN_NOTIFY_API_KEY": API_KEY,
        "APTRAIN_NOTIFY_TEMPLATE_ID": TEMPLATE_ID,
        "APTRAIN_NOTIFY_BASE_URL": notify_url,
        "APTRAIN_NOTIFY_TIMEOUT_SECONDS": "5",
        "APTRAIN_WORKER_POLL_SECONDS": "0.2",
        "APTRAIN_LOG_LEVEL": "warning",
        **overrides,
    }


def start_worker(database_url: str, notify_url: str, log_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """`aptrain worker` in its own process (its output in `log_path`)."""
    log = open(log_path, "a", encoding="utf-8")  # the child keeps it open
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], cwd=PROJECT_ROOT,
                            env=worker_env(database_url, notify_url, **env), stdout=log, stderr=subprocess.STDOUT)


def enqueue_emails(engine: Engine, n: int, prefix: str = "fault") -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(n)]
    with session_scope(engine) as session:
        outbox.enqueue_many(session, "email", [
            (key, {"to": f"official{i}@example.gov.uk", "subject": f"Reminder {i}", "body": "Dear official,\n\nHello.",
                   "kind": "due-7"}) for i, key in enumerate(keys)
        ])
    return keys


def status_counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine, write=False) as session:
        rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> float:
    """Wait for `condition`; returns the seconds it took, or fails saying what did not happen."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - start


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM, as a process manager stops it; returns its exit code (killed if it does not stop in time)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError("the worker did not stop within 20 s of SIGTERM") from None
    return process.returncode
