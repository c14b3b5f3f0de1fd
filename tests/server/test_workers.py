"""`aptrain serve --workers 2` on SQLite: two server processes write to one database file at once.

SQLite allows one writer at a time across processes. A transaction that will write starts with BEGIN
IMMEDIATE, waiting at most the busy timeout for the other process's writer; a wait past the bound is a
503, never a 500. Learners in threads, each on its own keep-alive connection (so both processes serve
some), play modules to the end; every request must be answered without a 5xx and the log must not
mention "database is locked".
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.content import load_library
from tests.live import Server, live_server, seed_learners
from tests.server.test_concurrency import Recorder, _assert_recorded_once, _learner, _max_attempt_id

LEARNERS = 6


def worker_pids(server: Server) -> list[int]:
    """The supervisor's worker processes (uvicorn spawns them; multiprocessing's resource tracker is left out)."""
    children: list[int] = []
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    children.append(int(pid))
            except OSError:
                pass  # gone since
    return children


def wait_for_workers(server: Server, count: int, timeout: float = 30) -> list[int]:
    """The worker processes' ids once `count` have started (one worker: uvicorn serves in the process itself)."""
    if count == 1:
        return [server.process.pid]
    deadline = time.monotonic() + timeout
    while len(pids := worker_pids(server)) < count:
        assert time.monotonic() < deadline, f"{len(pids)} of {count} workers started:\n{server.log()}"
        time.sleep(0.1)
    return pids


@pytest.fixture
def sqlite_url(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: several processes on one database file")
    return database_url


def test_two_processes_on_one_sqlite_file_write_at_once_without_locked_errors(sqlite_url, tmp_path):
    import threading

    emails = seed_learners(sqlite_url, LEARNERS)
    library = load_library(PROJECT_ROOT / "modules")
    modules = sorted(library.modules.values(), key=lambda m: m.id)
    recorder = Recorder()
    before = _max_attempt_id(sqlite_url)
    with live_server(sqlite_url, tmp_path / "server.log", workers=2) as server:
        assert len(wait_for_workers(server, 2)) == 2
        threads = [
            threading.Thread(target=_learner,
                             args=(server.base_url, email, [modules[n % len(modules)], modules[(n + 1) % len(modules)]], n, recorder))
            for n, email in enumerate(emails)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(t.is_alive() for t in threads), "a learner was still waiting after 5 minutes"
        log = server.log()

    statuses = Counter(t.status for t in recorder.timings)
    assert not recorder.failures, "\n".join(recorder.failures) + "\n" + log[-3000:]
    assert not [s for s in statuses if s == 0 or s >= 500], f"statuses {statuses}\n{log[-3000:]}"
    assert "database is locked" not in log.lower(), log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert statuses[303] > LEARNERS * 10, statuses  # they really played: every step is a POST answered 303
    _assert_recorded_once(sqlite_url, emails, before)
