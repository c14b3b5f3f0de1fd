"""PostgreSQL killed under load and started again: clear 503 pages meanwhile, recovery without a restart,
nothing lost or doubled.

The test runs its own PostgreSQL cluster (initdb in a temporary folder, on a free port) so killing it
disturbs no one, and `aptrain serve --workers 2` against it. Learners in threads play modules through the
plain HTML forms, pressing a button again when it fails. Once they are under way the postmaster is sent
SIGKILL (its backends end with it); while it is down every request answers 503 with Retry-After and the
"service is unavailable" page; then the cluster is started again (crash recovery) and, without touching the
server processes, the learners carry on (the pool tests each connection as it hands it out). Finally the
post-run checks of the load test hold: every choice and answer the learners saw accepted is one attempt
event, no attempt has two events for one step, every passed attempt has exactly one completion.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import text

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.content import load_library
from app.db import make_engine
from app.demo.accounts import DEMO_PASSWORD
from bench.load.checks import max_attempt_id, run_checks
from bench.load.player import Player
from tests.live import Learner, StepFailed, live_server, seed_learners
from tests.pgcluster import private_cluster, unavailable_reason
from tests.server.test_workers import wait_for_workers

LEARNERS = 4
STEPS_BEFORE = 40  # accepted choices and answers before the kill
OUTAGE = 2.0  # seconds the database stays down
STEPS_AFTER = 40  # accepted after the restart, proving recovery

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=unavailable_reason() or "")


class Observed:
    """Every answer the learners got, with the time: (monotonic time, route, status, Retry-After, page title)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[tuple[float, str, int, str | None, str]] = []
        self.accepted: list[dict] = []

    def accept(self, record: dict) -> None:
        with self.lock:
            self.accepted.append({**record, "at": time.monotonic()})

    def answered(self, route: str, response: httpx.Response | None) -> None:
        status = response.status_code if response is not None else 0
        retry_after = response.headers.get("retry-after") if response is not None else None
        title = ""
        if response is not None and status >= 400:
            title = response.text.split("<h1", 1)[-1].split(">", 1)[-1].split("</h1>", 1)[0].strip()
        with self.lock:
            self.answers.append((time.monotonic(), route, status, retry_after, title))


class ObservedLearner(Learner):
    def __init__(self, base_url: str, email: str, observed: Observed) -> None:
        super().__init__(base_url, email, DEMO_PASSWORD, timeout=10.0)
        self.observed = observed

    def request(self, method: str, url: str, route: str, **kwargs) -> httpx.Response:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.observed.answered(route, None)
            raise StepFailed(f"{method} {url}: no answer ({exc.__class__.__name__})") from exc
        self.observed.answered(route, response)
        return response


def _play(base_url: str, email: str, modules: list, seed: int, observed: Observed, stop: threading.Event,
          failures: list[str]) -> None:
    learner = ObservedLearner(base_url, email, observed)
    try:
        learner.sign_in()
        player = Player(learner, modules, random.Random(seed), observed.accept)
        while not stop.is_set():
            try:
                player.step()
            except StepFailed:
                stop.wait(0.25)  # a person waits a moment and presses the button again
    except Exception as exc:  # reported by the test
        failures.append(f"{email}: {exc!r}")
    finally:
        learner.close()


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_postgresql_killed_and_restarted_under_load(tmp_path):
    with private_cluster() as cluster:
        admin = make_engine(cluster.url)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE aptrain"))
        admin.dispose()
        url = cluster.database_url("aptrain")
        upgrade_database(url)
        emails = seed_learners(url, LEARNERS)
        before = max_attempt_id(url)
        library = load_library(PROJECT_ROOT / "modules")
        modules = sorted(library.modules.values(), key=lambda m: m.id)
        observed, stop, failures = Observed(), threading.Event(), []

        with live_server(url, tmp_path / "server.log", workers=2) as server:
            workers = sorted(wait_for_workers(server, 2))
            threads = [threading.Thread(target=_play, args=(server.base_url, e, modules, n, observed, stop, failures))
                       for n, e in enumerate(emails)]
            for thread in threads:
                thread.start()
            try:
                _wait_for(lambda: len(observed.accepted) >= STEPS_BEFORE, 60, "learners under way")
                killed_at = time.monotonic()
                cluster.kill()
                _wait_for(lambda: sum(1 for a in observed.answers if a[0] > killed_at and a[2] == 503) >= LEARNERS,
                          20, "503s during the outage")
                time.sleep(max(0.0, OUTAGE - (time.monotonic() - killed_at)))
                cluster.start()
                restarted_at = time.monotonic()
                _wait_for(lambda: sum(1 for a in observed.accepted if a["at"] > restarted_at) >= STEPS_AFTER
                          and time.monotonic() > restarted_at + 3, 60, "learners carrying on after the restart")
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=30)
            workers_after = sorted(wait_for_workers(server, 2))
            log = server.log()
        checks = run_checks(url, observed.accepted, before)

    assert not failures, failures
    statuses = Counter(a[2] for a in observed.answers)
    assert not [s for s in statuses if s == 0 or (s >= 400 and s != 503)], \
        f"{statuses} {[a for a in observed.answers if a[2] not in (200, 303, 503)]}\n{log[-3000:]}"
    outage = [a for a in observed.answers if a[2] == 503]
    assert outage, "no request met the outage"
    assert all(a[0] > killed_at for a in outage), "a 503 before the database was killed"
    assert {a[3] for a in outage} == {"2"}, "every 503 asks the client to retry after 2 seconds"
    assert {a[4] for a in outage} == {"Sorry, the service is unavailable"}, {a[4] for a in outage}
    # Recovered by itself: the same two worker processes answer after the restart, with pages not errors.
    assert workers_after == workers, "a server process was restarted"
    after = Counter(a[2] for a in observed.answers if a[0] > restarted_at + 1)
    assert after[303] >= 10 and set(after) <= {200, 303}, [a for a in observed.answers if a[2] not in (200, 303, 503)]
    assert "unhandled error" not in log, log[-3000:]
    assert all(c.ok for c in checks), "\n".join(f"{c.name}: {c.detail}" for c in checks)
