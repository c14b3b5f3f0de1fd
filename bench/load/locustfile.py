"""Locust users for the load test: run by `python -m bench.load.run`, which seeds the database, starts the
server and passes what the users need in APTRAIN_LOAD_CONFIG (a JSON file).

- LearnerUser: signs in with a password, opens "Your training", plays modules to the end through the plain
  HTML forms (the form-driving of tests/live.py's Learner, through Locust's client), without pausing. What the
  service accepted (choices, answers) goes to a JSON-lines file per process for the post-run checks.
- ManagerUser and AdminUser: open the dashboards and download CSV exports, pausing between pages.
- ApiUser: pages through /api/v1/assignments with a bearer token, following `next`.
- HealthUser: only /healthz, without pausing: the bare endpoint on the same stack.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, constant, events, task

from app import PROJECT_ROOT
from app.content import load_library
from bench.load.player import Player
from tests.live import Learner, StepFailed

CONFIG = json.loads(Path(os.environ["APTRAIN_LOAD_CONFIG"]).read_text()) if os.environ.get("APTRAIN_LOAD_CONFIG") else {}
MODULES = sorted(load_library(PROJECT_ROOT / "modules").modules.values(), key=lambda m: m.id)
_learner_emails = itertools.cycle(CONFIG.get("learners", []))
_accepted_file = None
_signed_in = 0


def _count_sign_in(user: FastHttpUser) -> None:
    """Once every user has signed in (argon2: ~0.3 s of CPU each, all at the start), the figures start afresh,
    so they show steady load rather than the sign-in burst."""
    global _signed_in
    _signed_in += 1
    if _signed_in == CONFIG.get("sign_ins"):
        user.environment.stats.reset_all()


def _accepted(record: dict) -> None:
    global _accepted_file
    if _accepted_file is None:
        _accepted_file = open(Path(CONFIG["record_dir"]) / f"accepted-{os.getpid()}.jsonl", "a", encoding="utf-8")
    _accepted_file.write(json.dumps(record) + "\n")
    _accepted_file.flush()


class LocustLearner(Learner):
    """tests.live.Learner's sign-in and form-driving, its requests sent by a Locust user's client."""

    def __init__(self, user: FastHttpUser, email: str, password: str) -> None:  # not super(): no httpx client here
        self.user, self.email, self.password = user, email, password
        self.record = lambda _timing: None

    def close(self) -> None:
        pass

    def request(self, method: str, url: str, route: str, **kwargs):
        data, headers = kwargs.pop("data", None), None
        if data is not None:
            data, headers = urlencode(data, doseq=True), {"Content-Type": "application/x-www-form-urlencoded"}
        with self.user.client.request(method, url, name=route, data=data, headers=headers, allow_redirects=False,
                                      catch_response=True) as response:
            if response.status_code in (200, 303):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
        if not response.status_code:
            raise StepFailed(f"{method} {url}: no answer")
        return response


class LearnerUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.learner = LocustLearner(self, next(_learner_emails), CONFIG["password"])
        self.learner.sign_in()
        _count_sign_in(self)
        self.player = Player(self.learner, MODULES, random.Random(), _accepted)

    @task
    def press(self) -> None:
        try:
            if self.player.attempt_url is None and self.player.module is None:
                self.learner.get_page("/training", "GET /training")  # "Your training", then a module
            self.player.step()
        except StepFailed:
            pass  # counted as a failure by Locust; the next press retries with the same fields


class _SignedIn(FastHttpUser):
    abstract = True
    email_key = ""

    def on_start(self) -> None:
        LocustLearner(self, CONFIG[self.email_key], CONFIG["password"]).sign_in()
        _count_sign_in(self)

    def get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class ManagerUser(_SignedIn):
    fixed_count = 1
    wait_time = between(0.5, 1.5)
    email_key = "manager"

    @task(3)
    def team(self) -> None:
        self.get("/compliance/team", "GET /compliance/team")

    @task(1)
    def export(self) -> None:
        self.get("/compliance/export.csv?view=officials", "GET /compliance/export.csv")


class AdminUser(_SignedIn):
    fixed_count = 1
    wait_time = between(0.5, 1.5)
    email_key = "admin"

    @task(3)
    def overview(self) -> None:
        self.get("/compliance", "GET /compliance")

    @task(2)
    def department(self) -> None:
        self.get(f"/compliance/departments/{CONFIG['department_id']}", "GET /compliance/departments/{id}")

    @task(1)
    def officials(self) -> None:
        self.get("/compliance/officials", "GET /compliance/officials")

    @task(1)
    def export(self) -> None:
        self.get(f"/compliance/export.csv?view=officials&department={CONFIG['department_id']}", "GET /compliance/export.csv")


class ApiUser(FastHttpUser):
    fixed_count = 1
    wait_time = between(0.5, 1.5)

    @task
    def page_through(self) -> None:
        url: str | None = "/api/v1/assignments?limit=100"
        for _ in range(10):
            with self.client.get(url, name="GET /api/v1/assignments", headers={"Authorization": f"Bearer {CONFIG['token']}"},
                                 catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                    return
                following = response.json().get("next")
            if not following:
                return
            parts = urlsplit(following)  # `next` is built on APTRAIN_BASE_URL: follow its path and query here
            url = f"{parts.path}?{parts.query}"


class HealthUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz", name="GET /healthz")


@events.quitting.add_listener
def _write_stats(environment, **_kwargs) -> None:
    """Each route's figures, exactly as Locust ended (its CSV can lag the final totals)."""
    target = os.environ.get("APTRAIN_LOAD_STATS")
    if not target:
        return
    stats = environment.stats
    rows = []
    for entry in [*stats.entries.values(), stats.total]:
        if not entry.num_requests:
            continue
        rows.append({
            "name": entry.name, "requests": entry.num_requests, "failures": entry.num_failures, "rps": entry.total_rps,
            "p50": entry.get_response_time_percentile(0.5), "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99), "max": entry.max_response_time,
        })
    errors = [{"name": e.name, "error": str(e.error), "count": e.occurrences} for e in stats.errors.values()]
    Path(target).write_text(json.dumps({"rows": rows, "errors": errors}, indent=1))
