"""Delivery throughput of the outbox: `aptrain worker` processes sending email to the local Notify server, on
PostgreSQL, with 1, 2 and 4 workers; and a Notify outage (every request answered 500 for a while) survived.

    .venv/bin/python bench/notify_throughput.py [--messages 3000] [--workers 1,2,4] [--latency 0.05] [--outage 60]

The local server (tests/notify_server.py, its own process) speaks Notify's email API, checks each JWT and
records each request; `--latency` makes it answer after that many seconds, as a real API over the internet
would. Workers are started and idle first; then the messages are enqueued in one transaction and the clock
runs until the last is marked sent. Figures: messages a second, and requests the server saw (every reference
once). `--outage S`: the server answers 500 to everything for S seconds while the workers retry (backoff from
1 s, capped at 5 s), then recovers; the run reports how long after recovery the last message was sent and
that each arrived once. Database: `aptrain_notify_bench` beside APTRAIN_BENCH_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped and created afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.db import make_engine
from tests.delivery import enqueue_emails, start_worker, status_counts, stop, wait_until

DATABASE = "aptrain_notify_bench"


def fresh_database() -> str:
    base = make_url(os.environ.get("APTRAIN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = base.set(database=DATABASE).render_as_string(hide_password=False)
    upgrade_database(url)
    return url


class Server:
    """tests/notify_server.py in its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.notify_server"], cwd=PROJECT_ROOT,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        self.base_url = line.strip().rsplit(" ", 1)[1]

    def call(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(self.base_url + path, method="POST" if body is not None else "GET",
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def empty_outbox(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox_message"))


def run(url: str, engine, server: Server, workers: int, messages: int, log: Path, latency: float) -> tuple[float, dict]:
    empty_outbox(engine)
    server.call("/_reset", {})  # forgets the requests, and any delay: set it again
    server.call("/_control", {"delay": latency})
    started = log.read_text().count("delivering channels")
    processes = [start_worker(url, server.base_url, log, APTRAIN_LOG_LEVEL="info", APTRAIN_WORKER_POLL_SECONDS="0.1")
                 for _ in range(workers)]
    try:
        wait_until(lambda: log.read_text().count("delivering channels") >= started + workers, 60, "the workers")
        start = time.perf_counter()
        enqueue_emails(engine, messages, prefix="bench")
        wait_until(lambda: status_counts(engine).get("sent", 0) == messages, 3600, "every message to be sent", 0.05)
        elapsed = time.perf_counter() - start
    finally:
        for process in processes:
            stop(process)
    return elapsed, server.call("/_stats")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the server waits before each answer")
    parser.add_argument("--outage", type=float, default=0.0, help="also: seconds of 500s while 4 workers retry")
    args = parser.parse_args()
    url = fresh_database()
    engine = make_engine(url)
    server = Server()
    log = Path(tempfile.mkdtemp(prefix="aptrain-notify-bench-")) / "workers.log"
    log.touch()
    try:
        print(f"PostgreSQL, {args.messages:,} messages, Notify answering after {args.latency * 1000:.0f} ms")
        print(f"{'workers':>7} {'seconds':>8} {'msg/s':>8} {'requests':>9} {'references':>10} {'duplicates':>10}")
        for workers in (int(n) for n in args.workers.split(",")):
            elapsed, stats = run(url, engine, server, workers, args.messages, log, args.latency)
            print(f"{workers:>7} {elapsed:>8.2f} {args.messages / elapsed:>8.0f} {stats['accepted']:>9,} "
                  f"{stats['references']:>10,} {stats['duplicates']:>10}")
        if args.outage:
            empty_outbox(engine)
            server.call("/_reset", {})
            server.call("/_control", {"status": 500, "count": -1})
            processes = [start_worker(url, server.base_url, log, APTRAIN_OUTBOX_RETRY_BASE_SECONDS="1",
                                      APTRAIN_OUTBOX_RETRY_MAX_SECONDS="5", APTRAIN_OUTBOX_MAX_ATTEMPTS="100")
                         for _ in range(4)]
            try:
                enqueue_emails(engine, args.messages, prefix="outage")
                time.sleep(args.outage)
                assert all(p.poll() is None for p in processes), log.read_text()[-2000:]
                refused = server.call("/_stats")["refused"]
                server.call("/_control", {"status": 201})
                recovered = time.perf_counter()
                wait_until(lambda: status_counts(engine).get("sent", 0) == args.messages, 600, "every message", 0.1)
                after = time.perf_counter() - recovered
            finally:
                for process in processes:
                    stop(process)
            stats = server.call("/_stats")
            print(f"outage: 500 to all {refused:,} requests for {args.outage:.0f} s with 4 workers, then recovery: "
                  f"all {args.messages:,} sent {after:.1f} s later; {stats['references']:,} references, "
                  f"{stats['duplicates']} duplicates, failed {status_counts(engine).get('failed', 0)}")
    finally:
        server.close()
        engine.dispose()


if __name__ == "__main__":
    main()
