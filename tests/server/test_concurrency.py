"""Many learners at once against a real server process (`aptrain serve`), on SQLite and on PostgreSQL.

Not a timed test: it asserts that every request is answered (within a generous 10 s), none with a
5xx, that /healthz answers throughout, and that nothing was recorded twice or lost.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import bindparam, text

from app import PROJECT_ROOT
from app.content import load_library
from app.db import make_engine
from app.demo.accounts import DEMO_PASSWORD
from tests.live import Learner, StepFailed, Timing, best_answers, live_server, random_answers, seed_learners

LEARNERS = 8
TIMEOUT = 10.0


class Recorder:
    """Every request's route, status and time, from every thread."""

    def __init__(self) -> None:
        self.timings: list[Timing] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, timing: Timing) -> None:
        with self._lock:
            self.timings.append(timing)

    def fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)


def _health_probe(base_url: str, stop: threading.Event, recorder: Recorder) -> None:
    import httpx

    with httpx.Client(base_url=base_url, timeout=TIMEOUT) as client:
        while not stop.is_set():
            try:
                status = client.get("/healthz").status_code
            except httpx.HTTPError as exc:
                recorder.fail(f"/healthz did not answer: {exc.__class__.__name__}")
                status = 0
            recorder(Timing("GET /healthz", status, 0.0))
            stop.wait(0.2)


def _learner(base_url: str, email: str, modules: list, seed: int, recorder: Recorder) -> None:
    rng = random.Random(seed)
    learner = Learner(base_url, email, DEMO_PASSWORD, timeout=TIMEOUT, record=recorder)
    try:
        learner.sign_in()
        for n, module in enumerate(modules):
            learner.play(module, best_answers if n % 2 == 0 else random_answers(rng))
    except StepFailed as exc:
        recorder.fail(f"{email}: {exc}")
    finally:
        learner.close()


def _one_learner_four_sessions(base_url: str, email: str, module, recorder: Recorder) -> None:
    """Two tabs, a double click and a retrying proxy: four sessions post every step of one attempt at once."""
    sessions = [Learner(base_url, email, DEMO_PASSWORD, timeout=TIMEOUT, record=recorder) for _ in range(4)]
    barrier = threading.Barrier(len(sessions), timeout=3 * TIMEOUT)
    urls: list[str | None] = [None] * len(sessions)
    done = threading.Event()

    def run(i: int) -> None:
        me = sessions[i]
        try:
            me.sign_in()
            barrier.wait()
            urls[i] = me.start(module.id)  # four clicks on "Start module" at once
            barrier.wait()
            for _ in range(60):
                form = me.current_form(urls[i])
                barrier.wait()
                if form is None:
                    done.set()
                    return
                me.submit(form, best_answers(module, form))
                barrier.wait()
            recorder.fail(f"{email}: not finished after 60 rounds")
        except (StepFailed, threading.BrokenBarrierError) as exc:
            recorder.fail(f"{email} session {i}: {exc!r}")
            barrier.abort()
        finally:
            me.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(set(urls)) != 1:
        recorder.fail(f"four clicks on Start opened different attempts: {urls}")


@pytest.fixture
def population(database_url):
    return seed_learners(database_url, LEARNERS + 1)


def test_many_learners_at_once_answer_promptly_and_record_everything_once(database_url, population, tmp_path):
    library = load_library(PROJECT_ROOT / "modules")
    modules = sorted(library.modules.values(), key=lambda m: m.id)
    assert len(population) == LEARNERS + 1
    recorder = Recorder()
    before = _max_attempt_id(database_url)  # the demo population has attempts of its own
    with live_server(database_url, tmp_path / "server.log") as server:
        stop = threading.Event()
        probe = threading.Thread(target=_health_probe, args=(server.base_url, stop, recorder))
        probe.start()
        threads = [
            threading.Thread(
                target=_learner,
                args=(server.base_url, email, [modules[n % len(modules)], modules[(n + 3) % len(modules)]], n, recorder),
            )
            for n, email in enumerate(population[:LEARNERS])
        ]
        threads.append(
            threading.Thread(target=_one_learner_four_sessions, args=(server.base_url, population[LEARNERS], modules[0], recorder))
        )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        stop.set()
        probe.join()
        assert not any(t.is_alive() for t in threads), "a learner was still waiting after 5 minutes"
        log = server.log()

    assert server.stopped_in is not None and server.stopped_in < 15, "SIGTERM did not stop the server in time"
    statuses = Counter(t.status for t in recorder.timings)
    assert not recorder.failures, "\n".join(recorder.failures) + "\n" + log[-3000:]
    assert not [s for s in statuses if s == 0 or s >= 500], f"statuses {statuses}\n{log[-3000:]}"
    assert statuses[303] > LEARNERS * 10, statuses  # the learners really played
    _assert_recorded_once(database_url, population, before)


def _max_attempt_id(database_url: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT coalesce(max(id), 0) FROM attempt")).scalar()
    engine.dispose()
    return found


def _assert_recorded_once(database_url: str, emails: list[str], before: int) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        def rows(sql: str) -> list:
            query = text(sql)
            if ":emails" in sql:
                query = query.bindparams(bindparam("emails", expanding=True))
            return conn.execute(query, {"emails": emails} if ":emails" in sql else {}).all()

        # One event per thing that happens in an attempt: a scene shown, a choice made, an answer given.
        twice = rows(
            "SELECT attempt_id, kind, coalesce(scene_id, ''), coalesce(question_id, ''), count(*) FROM attempt_event "
            "GROUP BY attempt_id, kind, coalesce(scene_id, ''), coalesce(question_id, '') HAVING count(*) > 1"
        )
        assert twice == [], f"events recorded twice: {twice}"
        ours = "(SELECT id FROM official WHERE email IN :emails)"
        unfinished = rows(f"SELECT id, module_id FROM attempt WHERE finished_at IS NULL AND official_id IN {ours}")
        assert unfinished == [], f"attempts left unfinished: {unfinished}"
        # Each learner took each module once: four clicks on Start opened one attempt, not four.
        twice_started = rows(
            f"SELECT official_id, module_id, count(*) FROM attempt WHERE official_id IN {ours} AND id > {before} "
            "GROUP BY official_id, module_id HAVING count(*) > 1"
        )
        assert twice_started == [], f"more than one attempt at one module: {twice_started}"
        passed = rows(f"SELECT count(*) FROM attempt WHERE passed AND official_id IN {ours}")[0][0]
        assert passed >= len(emails) // 2, "best answers should pass"
        completions = rows(
            "SELECT a.id, count(c.id) FROM attempt a LEFT JOIN completion c ON c.attempt_id = a.id "
            "WHERE a.passed GROUP BY a.id HAVING count(c.id) != 1"
        )
        assert completions == [], f"passed attempts without exactly one completion: {completions}"
        orphans = rows("SELECT c.id FROM completion c JOIN attempt a ON a.id = c.attempt_id WHERE NOT a.passed")
        assert orphans == []
    engine.dispose()
