"""A real server process and learners who drive it over HTTP: shared by the browser tests, the
concurrency test and the learner benchmark (`bench/learners.py`).

`live_server()` starts `aptrain serve` (uvicorn) on its own port against a database URL and stops it
with SIGTERM, as a process manager would. `Learner` signs in and plays modules through the same
plain HTML forms a browser without JavaScript posts, choosing with a strategy that can read the
module (the best path, or at random).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx

from app import PROJECT_ROOT
from app.content.model import Module
from tests.conftest import TEST_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    stopped_in: float | None = None  # seconds from SIGTERM to exit (None if it had to be killed)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(database_url: str, log_path: Path, *, modules_dir: Path | None = None, workers: int = 1,
                **env_overrides: str) -> Iterator[Server]:
    """`aptrain serve [--workers N]` on a free port; waits for /healthz, yields, then stops it with SIGTERM (bounded)."""
    port = free_port()
    env = {
        **os.environ,
        "APTRAIN_ENVIRONMENT": "test",
        "APTRAIN_SECRET_KEY": TEST_SECRET,
        "APTRAIN_DATABASE_URL": database_url,
        "APTRAIN_MODULES_DIR": str(modules_dir or PROJECT_ROOT / "modules"),
        "APTRAIN_LOG_LEVEL": "warning",
        **env_overrides,
    }
    log = open(log_path, "w+", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    server = Server(base, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start:\n" + server.log())
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        try:
            process.wait(timeout=20)
            server.stopped_in = time.monotonic() - stopping
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class Form:
    """A POST form on a page: where it goes, its hidden fields and the options of each radio/checkbox group."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms:
            form, kind, name = self.forms[-1], a.get("type", "text"), a.get("name", "")
            if kind == "hidden":
                form.hidden[name] = a.get("value", "")
            elif kind == "radio":
                form.radios.setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":
                form.checkboxes.setdefault(name, []).append(a.get("value", ""))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


# A strategy picks the fields to post for one step of a module: (module, form) -> form data.
Strategy = Callable[[Module, Form], dict[str, str | list[str]]]


def best_answers(module: Module, form: Form) -> dict[str, str | list[str]]:
    """The highest-scoring choice at each scene (one step ahead) and every question right."""
    data: dict[str, str | list[str]] = {}
    if "choice" in form.radios:
        scene = module.scene(form.hidden["scene"])
        best = max(scene.choices, key=lambda c: (c.score, _best_from(module, c.target)))
        data["choice"] = best.id
    for question in module.questions:
        if f"q-{question.id}" in form.radios or f"q-{question.id}" in form.checkboxes:
            data[f"q-{question.id}"] = sorted(question.correct_keys)
    return data


def _best_from(module: Module, scene_id: str) -> int:
    scene = module.scene(scene_id)
    if scene is None or scene.is_end:
        return 0
    return max(c.score + _best_from(module, c.target) for c in scene.choices)


def random_answers(rng: random.Random) -> Strategy:
    def pick(_module: Module, form: Form) -> dict[str, str | list[str]]:
        data: dict[str, str | list[str]] = {name: rng.choice(values) for name, values in form.radios.items()}
        for name, values in form.checkboxes.items():
            data[name] = rng.sample(values, rng.randint(1, len(values)))
        return data

    return pick


class StepFailed(AssertionError):
    """A request answered with an unexpected status (or not at all)."""


@dataclass
class Timing:
    route: str
    status: int  # 0: no answer within the timeout
    seconds: float


class Learner:
    """One browser session of one official, without JavaScript: every step is a POST then a redirect."""

    def __init__(self, base_url: str, email: str, password: str, *, timeout: float = 10.0,
                 record: Callable[[Timing], None] | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.email, self.password = email, password
        self.record = record or (lambda _t: None)

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, url: str, route: str, **kwargs) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.record(Timing(route, 0, time.perf_counter() - started))
            raise StepFailed(f"{method} {url}: no answer ({exc.__class__.__name__})") from exc
        self.record(Timing(route, response.status_code, time.perf_counter() - started))
        return response

    def get_page(self, url: str, route: str) -> _FormParser:
        response = self.request("GET", url, route)
        if response.status_code != 200:
            raise StepFailed(f"GET {url}: {response.status_code}")
        return parse_page(response.text)

    def sign_in(self) -> None:
        page = self.get_page("/sign-in", "GET /sign-in")
        token = page.forms[0].hidden["csrf_token"]
        response = self.request("POST", "/sign-in", "POST /sign-in",
                                data={"email": self.email, "password": self.password, "csrf_token": token})
        if response.status_code != 303:
            raise StepFailed(f"sign-in as {self.email}: {response.status_code}")

    def start(self, module_id: str) -> str:
        """Start (or resume) a module; returns the attempt's address."""
        page = self.get_page(f"/modules/{module_id}", "GET /modules/{id}")
        form = next(f for f in page.forms if f.action.endswith("/attempts"))
        response = self.request("POST", form.action, "POST /modules/{id}/attempts", data=form.hidden)
        if response.status_code != 303:
            raise StepFailed(f"start {module_id}: {response.status_code}")
        return response.headers["location"]

    def current_form(self, attempt_url: str) -> Form | None:
        """The step form on the attempt's page, or None once it is finished (the result page)."""
        response = self.request("GET", attempt_url, "GET /attempts/{id}")
        if response.status_code == 303 and response.headers["location"].endswith("/result"):
            return None
        if response.status_code != 200:
            raise StepFailed(f"GET {attempt_url}: {response.status_code}")
        # A learner who carries on: at a poor ending, "Continue" rather than "Go back and choose again".
        forms = [f for f in parse_page(response.text).forms
                 if f.action.startswith("/attempts/") and not f.action.endswith("/rewind")]
        return forms[0] if forms else None

    def submit(self, form: Form, data: dict[str, str | list[str]]) -> httpx.Response:
        """Post one step; a 303 (moved on, or the step was stale and the current one is shown) is success."""
        route = "POST " + re.sub(r"/attempts/\d+", "/attempts/{id}", form.action)
        response = self.request("POST", form.action, route, data={**form.hidden, **data})
        if response.status_code != 303:
            raise StepFailed(f"POST {form.action}: {response.status_code}")
        return response

    def play(self, module: Module, strategy: Strategy = best_answers, *, max_steps: int = 60,
             between: Callable[[], None] | None = None) -> str:
        """Start the module and play it to the result page; returns the attempt's address."""
        attempt_url = self.start(module.id)
        for _ in range(max_steps):
            form = self.current_form(attempt_url)
            if form is None:
                return attempt_url
            if between:
                between()
            self.submit(form, strategy(module, form))
        raise StepFailed(f"{module.id}: not finished after {max_steps} steps")


def seed_learners(database_url: str, count: int) -> list[str]:
    """Seed the demo population (as `make run` does) and give `count` of its officials who have
    required training the demo password; returns their emails. Assignments make a pass do real work."""
    from datetime import date

    from sqlmodel import select

    from app.content import load_library
    from app.db import make_engine, session_scope
    from app.demo.accounts import DEMO_PASSWORD, seed_demo
    from app.demo.population import place_demo_accounts, seed_population
    from app.models import Assignment, Official
    from app.services.accounts.sessions import hash_password

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            seed_demo(session)
            seed_population(session, load_library(PROJECT_ROOT / "modules"), date.today())
            place_demo_accounts(session, date.today())
        with session_scope(engine) as session:
            assigned = select(Assignment.official_id).where(Assignment.ended_on.is_(None)).distinct()
            officials = session.exec(
                select(Official).where(Official.id.in_(assigned), Official.password_hash.is_(None)).order_by(Official.id).limit(count)
            ).all()
            password_hash = hash_password(DEMO_PASSWORD)
            for official in officials:
                official.password_hash = password_hash
                session.add(official)
            return [o.email for o in officials]
    finally:
        engine.dispose()
