"""The Locust load test, one command: seed a database, serve it with 1, 2 and 4 worker processes, load each,
print the figures and the post-run checks (non-zero exit if a check fails).

    .venv/bin/python -m bench.load.run [--workers 1,2,4] [--database postgresql|sqlite] [--learners 8]
                                       [--seconds 30] [--bare-seconds 15]

PostgreSQL runs in a private cluster of its own (tests/pgcluster.py: initdb on a free port, removed at the end),
so the run neither takes the shared server's connections nor touches its databases; SQLite uses a file in a
temporary folder. The seed is the demo population (as `make run`) with `--learners` of its officials given the
demo password, the demo accounts and an API token for all departments; each worker count gets a fresh copy.

For each worker count, against 127.0.0.1 only, with users all spawned within a second and the figures counted
from then on (--reset-stats), or, in the mix, from the moment the last user has signed in:
1. bare: `--learners` users request /healthz without pausing, for --bare-seconds;
2. mixed: `--learners` learners without pausing, plus a manager, a central admin and an API client (each
   pausing 0.5-1.5 s), for --seconds;
3. bare again (the figures are the mean of 1 and 3: both meet the same background load).
Then the checks of `bench/load/checks.py` on what the learners saw accepted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from sqlalchemy import text

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.db import make_engine, session_scope
from app.demo.accounts import DEMO_PASSWORD
from bench.load.checks import max_attempt_id, print_checks, run_checks
from tests.live import live_server, seed_learners

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LEARNER_ROUTES = ("GET /training", "GET /modules/{id}", "POST /modules/{id}/attempts", "GET /attempts/{id}",
                  "POST /attempts/{id}/choice", "POST /attempts/{id}/continue", "POST /attempts/{id}/answers")
STEP_ROUTES = ("POST /modules/{id}/attempts", "POST /attempts/{id}/choice", "POST /attempts/{id}/continue",
               "POST /attempts/{id}/answers")
P95_TARGET_MS = 250


def seed(url: str, learners: int) -> dict:
    """The demo population and load users; what the Locust users need to know."""
    from sqlmodel import select

    from app.models import Department, Official
    from app.services.accounts import api_tokens
    from app.services.audit import Actor

    upgrade_database(url)
    emails = seed_learners(url, learners)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            admin = session.exec(select(Official).where(Official.email == "central-admin@example.gov.uk")).one()
            _token, secret = api_tokens.create(session, Actor(admin.id, "load test"), "load test", everything=True)
            fcdo = session.exec(select(Department).where(Department.code == "FCDO")).one()
            department_id = fcdo.id
    finally:
        engine.dispose()
    return {"learners": emails, "password": DEMO_PASSWORD, "manager": "manager@example.gov.uk",
            "admin": "central-admin@example.gov.uk", "token": secret, "department_id": department_id,
            "seeded_on": date.today().isoformat()}


def copy_database(kind: str, source: str, cluster, folder: Path, name: str) -> str:
    if kind == "sqlite":
        target = folder / f"{name}.db"
        shutil.copy(source.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    admin = make_engine(cluster.url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "seed"'))
    admin.dispose()
    return cluster.database_url(name)


def locust(base_url: str, config: Path, stats: Path, users: int, seconds: int, classes: list[str]) -> dict:
    env = {**os.environ, "APTRAIN_LOAD_CONFIG": str(config), "APTRAIN_LOAD_STATS": str(stats),
           "PYTHONPATH": str(PROJECT_ROOT)}
    command = [str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
               "-r", str(users), "-t", f"{seconds}s", "-H", base_url, "--only-summary", "--reset-stats",
               "--stop-timeout", "5", "--loglevel", "WARNING", *classes]
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=seconds + 120)
    if not stats.exists():
        raise RuntimeError(f"locust wrote no figures (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(stats.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--learners", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--bare-seconds", type=int, default=15)
    args = parser.parse_args(argv)
    worker_counts = [int(n) for n in args.workers.split(",")]
    assert all(1 <= n <= 8 for n in worker_counts) and 1 <= args.learners <= 50 and args.seconds <= 300

    all_ok = True
    summary = []
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="aptrain-load-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        cluster = None
        if args.database == "postgresql":
            from tests.pgcluster import private_cluster

            cluster = stack.enter_context(private_cluster())
            admin = make_engine(cluster.url)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text('CREATE DATABASE "seed"'))
            admin.dispose()
            seed_url = cluster.database_url("seed")
        else:
            seed_url = f"sqlite:///{folder / 'seed.db'}"
        print(f"Seeding {args.database}: the demo population and {args.learners} load learners ...", flush=True)
        config = seed(seed_url, args.learners)
        config_path = folder / "config.json"

        for workers in worker_counts:
            url = copy_database(args.database, seed_url, cluster, folder, f"load_w{workers}")
            records = folder / f"accepted-w{workers}"
            records.mkdir()
            config_path.write_text(json.dumps({**config, "record_dir": str(records)}))
            before = max_attempt_id(url)
            with live_server(url, folder / f"server-w{workers}.log", workers=workers) as server:
                from tests.server.test_workers import wait_for_workers

                wait_for_workers(server, workers)
                print(f"\n== {workers} worker(s): bare /healthz for {args.bare_seconds} s, then the mix for {args.seconds} s",
                      flush=True)
                # The bare endpoint before and after the mix, so both meet the same background load on a shared machine.
                bare = locust(server.base_url, config_path, folder / f"bare-w{workers}.json", args.learners,
                              args.bare_seconds, ["HealthUser"])
                config_path.write_text(json.dumps({**config, "record_dir": str(records), "sign_ins": args.learners + 2}))
                mixed = locust(server.base_url, config_path, folder / f"mixed-w{workers}.json", args.learners + 3,
                               args.seconds, ["LearnerUser", "ManagerUser", "AdminUser", "ApiUser"])
                bare_after = locust(server.base_url, config_path, folder / f"bare2-w{workers}.json", args.learners,
                                    args.bare_seconds, ["HealthUser"])
                log = server.log()
            bare = {"rows": [_mean_row(a, b) for a, b in zip(bare["rows"], bare_after["rows"])],
                    "errors": bare["errors"] + bare_after["errors"]}
            accepted = [json.loads(line) for path in records.glob("*.jsonl") for line in path.read_text().splitlines()]
            ok, line = report(workers, bare, mixed, log)
            summary.append(line)
            print("Post-run checks:")
            checks_ok = print_checks(run_checks(url, accepted, before))
            all_ok = all_ok and checks_ok and ok

    print(f"\nSummary ({args.database}, {args.learners} learners without pauses + manager, admin and API client; "
          f"{os.cpu_count()} CPUs):")
    print(f"{'workers':>7}  {'/healthz req/s':>14}  {'learner req/s':>13}  {'ratio':>5}  {'steps/s':>7}  {'learner p95 (ms)':>16}")
    for line in summary:
        print(line)
    print("\nAll post-run checks hold." if all_ok else "\nSOMETHING FAILED: see above.")
    return 0 if all_ok else 1


def _mean_row(a: dict, b: dict) -> dict:
    """Two runs of one route: requests and failures added up, rates and percentiles averaged, the larger max."""
    return {"name": a["name"], "requests": a["requests"] + b["requests"], "failures": a["failures"] + b["failures"],
            **{k: (a[k] + b[k]) / 2 for k in ("rps", "p50", "p95", "p99")}, "max": max(a["max"], b["max"])}


def report(workers: int, bare: dict, mixed: dict, log: str) -> tuple[bool, str]:
    def show(rows: list[dict]) -> None:
        print(f"  {'route':<36} {'requests':>8} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}")
        for r in sorted(rows, key=lambda r: (r["name"] == "Aggregated", r["name"])):
            print(f"  {r['name']:<36} {r['requests']:>8} {r['failures']:>5} {r['rps']:>7.1f} {r['p50']:>6.0f} "
                  f"{r['p95']:>6.0f} {r['p99']:>6.0f} {r['max']:>6.0f}")

    print("Bare endpoint, mean of the runs before and after the mix (ms):")
    show(bare["rows"])
    print("Mixed load (ms):")
    show(mixed["rows"])
    for error in mixed["errors"] + bare["errors"]:
        print(f"  error: {error['count']} x {error['name']}: {error['error']}")
    healthz = next(r for r in bare["rows"] if r["name"] == "GET /healthz")
    learner = [r for r in mixed["rows"] if r["name"] in LEARNER_ROUTES]
    learner_rps = sum(r["rps"] for r in learner)
    steps = sum(r["rps"] for r in learner if r["name"] in STEP_ROUTES)
    worst_p95 = max((r["p95"] for r in learner), default=0)
    ratio = learner_rps / healthz["rps"] if healthz["rps"] else 0
    failures = sum(r["failures"] for r in mixed["rows"] if r["name"] != "Aggregated")
    server_errors = log.count("unhandled error") + log.lower().count("database is locked")
    if server_errors:
        first = max(log.find("unhandled error"), 0)
        print("  The server's log at its first error:\n    " + "\n    ".join(log[first:first + 4000].splitlines()[-40:]))
    meets = ratio >= 1 / 3 and worst_p95 <= P95_TARGET_MS
    print(f"Learner requests {learner_rps:.1f}/s = {ratio:.2f} of /healthz's {healthz['rps']:.1f}/s "
          f"({steps:.1f} steps/s, each a POST and the GET it redirects to); worst learner p95 {worst_p95:.0f} ms: "
          f"target (>= 1/3, p95 <= {P95_TARGET_MS} ms) {'met' if meets else 'MISSED'}; "
          f"{failures} failed requests, {server_errors} server errors logged")
    line = f"{workers:>7}  {healthz['rps']:>14.1f}  {learner_rps:>13.1f}  {ratio:>5.2f}  {steps:>7.1f}  {worst_p95:>16.0f}"
    return failures == 0 and server_errors == 0, line


if __name__ == "__main__":
    sys.exit(main())
