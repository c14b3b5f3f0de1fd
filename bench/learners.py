"""Learners stepping through modules against one real server process (`aptrain serve`); print a table.

    .venv/bin/python bench/learners.py --db sqlite|postgresql [--closed 1,5,20] [--closed-seconds 20]
                                      [--open-learners 50] [--open-interval 5] [--open-seconds 60]

A *step* is what a learner waits for after pressing a button: the POST of the step's form (a choice,
"Continue", the answers, or "Start module") and the GET of the page it redirects to, through the plain
HTML forms (JavaScript off). Learners play the real library: the best choice at each scene, or at random.

Every learner signs in first (not timed); then the window starts.
- Closed load: N learners step without pause for --closed-seconds: the most steps per second one process
  sustains, and the latency at that rate.
- Open load: --open-learners learners each step every --open-interval seconds (phases spread evenly), for
  --open-seconds: 50 every 5 s is 10 steps per second. Target on a 2-core machine: 0 errors and p95 step
  latency <= 500 ms on SQLite, <= 300 ms on PostgreSQL.

SQLite uses a fresh /tmp/aptrain-bench-learners.db; PostgreSQL creates (dropping first) the database
`aptrain_bench_learners` beside APTRAIN_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres),
never `test`. The database holds the demo population (as `make run`), so a pass recomputes real assignments.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.content import load_library
from app.db import make_engine
from app.demo.accounts import DEMO_PASSWORD
from tests.live import Learner, StepFailed, Timing, best_answers, live_server, random_answers, seed_learners


def prepare_database(kind: str) -> str:
    if kind == "sqlite":
        path = Path("/tmp/aptrain-bench-learners.db")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        base = make_url(os.environ.get("APTRAIN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
        admin = make_engine(base.render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "aptrain_bench_learners" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "aptrain_bench_learners"'))
        admin.dispose()
        url = base.set(database="aptrain_bench_learners").render_as_string(hide_password=False)
    upgrade_database(url)
    return url


@dataclass
class Results:
    steps: list[float] = field(default_factory=list)  # seconds per step
    errors: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, timing: Timing) -> None:
        with self.lock:
            self.statuses[timing.status] = self.statuses.get(timing.status, 0) + 1

    def step(self, seconds: float) -> None:
        with self.lock:
            self.steps.append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Stepper:
    """One learner's next step, whatever it is: start a module, or post the current form."""

    def __init__(self, learner: Learner, modules: list, rng: random.Random) -> None:
        self.learner, self.modules, self.rng = learner, modules, rng
        self.module = None
        self.attempt: str | None = None
        self.form = None

    def step(self) -> None:
        if self.attempt is None:
            self.module = self.rng.choice(self.modules)
            self.attempt = self.learner.start(self.module.id)
        else:
            strategy = best_answers if self.rng.random() < 0.5 else random_answers(self.rng)
            self.learner.submit(self.form, strategy(self.module, self.form))
        self.form = self.learner.current_form(self.attempt)
        if self.form is None:
            self.attempt = None


def _run_learner(base: str, email: str, modules: list, seed: int, results: Results, window: float,
                 interval: float | None, phase: float, ready: threading.Barrier) -> None:
    learner = Learner(base, email, DEMO_PASSWORD, timeout=30, record=results.record)
    rng = random.Random(seed)
    try:
        try:
            learner.sign_in()  # not timed: everyone signs in, then the window starts for all at once
        finally:
            ready.wait()
        until = time.monotonic() + window
        stepper = Stepper(learner, modules, rng)
        next_at = time.monotonic() + phase
        while True:
            if interval is not None:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                next_at += interval
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            try:
                stepper.step()
            except StepFailed as exc:
                results.error(str(exc))
                stepper.attempt = None  # start again, as a learner would reload
                continue
            results.step(time.perf_counter() - started)
    except StepFailed as exc:
        results.error(f"{email}: {exc}")
    finally:
        learner.close()


def run_load(base: str, emails: list[str], modules: list, seconds: float, interval: float | None) -> tuple[Results, float]:
    results = Results()
    ready = threading.Barrier(len(emails))
    threads = [
        threading.Thread(
            target=_run_learner,
            args=(base, email, modules, n, results, seconds, interval, (interval or 0) * n / len(emails), ready),
        )
        for n, email in enumerate(emails)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, seconds  # steps are taken within this window


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def row(label: str, results: Results, seconds: float) -> str:
    errors = len(results.errors) + sum(n for s, n in results.statuses.items() if s == 0 or s >= 500)
    ms = [s * 1000 for s in results.steps]
    return (f"| {label} | {len(ms) / seconds:,.1f} | {statistics.median(ms) if ms else float('nan'):,.0f} | "
            f"{percentile(ms, 95):,.0f} | {percentile(ms, 99):,.0f} | {max(ms) if ms else float('nan'):,.0f} | "
            f"{len(ms):,} | {errors} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--closed", default="1,5,20", help="learner counts for the closed load")
    parser.add_argument("--closed-seconds", type=float, default=20)
    parser.add_argument("--open-learners", type=int, default=50)
    parser.add_argument("--open-interval", type=float, default=5)
    parser.add_argument("--open-seconds", type=float, default=60)
    args = parser.parse_args()

    closed = [int(n) for n in args.closed.split(",") if n]
    url = prepare_database(args.db)
    emails = seed_learners(url, max(closed + [args.open_learners]))
    modules = sorted(load_library(PROJECT_ROOT / "modules").modules.values(), key=lambda m: m.id)
    print(f"{args.db}: {len(emails)} learners, {len(modules)} modules, one server process")
    print("| Load | steps/s | p50 ms | p95 ms | p99 ms | max ms | steps | errors |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp, live_server(url, Path(tmp) / "server.log") as server:
        for n in closed:
            results, seconds = run_load(server.base_url, emails[:n], modules, args.closed_seconds, None)
            print(row(f"closed, {n} learner{'s' if n > 1 else ''} without pause", results, seconds), flush=True)
        rate = args.open_learners / args.open_interval
        results, seconds = run_load(server.base_url, emails[: args.open_learners], modules, args.open_seconds,
                                    args.open_interval)
        print(row(f"open, {args.open_learners} learners every {args.open_interval:g} s ({rate:g}/s) for "
                  f"{args.open_seconds:g} s", results, seconds), flush=True)
        for message in results.errors[:5]:
            print("  error:", message)
        log = server.log().splitlines()
        busy = Counter(line.split(": ")[-1] + " on " + line.split(" on ")[1].rsplit(":", 1)[0]
                       for line in log if "database busy on" in line)
        for what, n in busy.most_common():
            print(f"  server: {n} x 503, {what}")
        problems = [line for line in log if "Traceback" in line or " 500 " in line]
        if problems:
            print(f"  server log: {len(problems)} problem line(s), e.g. {problems[0]}")


if __name__ == "__main__":
    main()
