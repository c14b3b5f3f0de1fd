"""A real Learning Record Store for the tests: Ralph (`ralph-malph[cli,lrs]==5.1.0`), installed by
`make lrs` in its own virtual environment (.venv-ralph, never mixed with the application's), served on its
file-system backend in a fresh folder per test (tests/lrs/ralph_server.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app import PROJECT_ROOT
from tests.live import free_port

RALPH_VENV = Path(os.environ.get("APTRAIN_RALPH_VENV", PROJECT_ROOT / ".venv-ralph"))
RALPH_PYTHON = RALPH_VENV / "bin" / "python"
USERNAME, PASSWORD = "aptrain-tests", "lrs-secret-for-tests"


def unavailable() -> str | None:
    """Why Ralph cannot run here (the tests then skip with this reason), or None."""
    if not RALPH_PYTHON.exists():
        return f"Ralph is not installed ({RALPH_VENV} is missing: `make lrs` creates it)"
    check = subprocess.run([str(RALPH_PYTHON), "-c", "import ralph.api, ralph.backends.lrs.fs, uvicorn"],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "RALPH_RUNSERVER_BACKEND": "fs"})
    if check.returncode != 0:
        return f"Ralph does not import in {RALPH_VENV}: {check.stderr.strip().splitlines()[-1:]}"
    return None


def make_auth_file(folder: Path) -> Path:
    """A Ralph auth file with one user (all scopes), made by `ralph auth`."""
    path = folder / "auth.json"
    env = {**os.environ, "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_AUTH_FILE": str(path)}
    subprocess.run([str(RALPH_VENV / "bin" / "ralph"), "auth", "-u", USERNAME, "-p", PASSWORD, "-s", "all",
                    "-M", f"mailto:{USERNAME}@example.org", "-w"], env=env, cwd=folder, check=True,
                   capture_output=True, timeout=60)
    return path


@dataclass
class Lrs:
    url: str  # the xAPI endpoint: <url>/statements
    username: str
    password: str
    folder: Path

    def statements(self) -> list[dict]:
        """Every statement the LRS holds (GET /xAPI/statements, following `more`)."""
        found: list[dict] = []
        url = self.url + "/statements?limit=100"
        with httpx.Client(auth=(self.username, self.password), headers={"X-Experience-API-Version": "1.0.3"}, timeout=10) as client:
            while url:
                response = client.get(url)
                response.raise_for_status()
                body = response.json()
                found += body["statements"]
                more = body.get("more")
                url = self.url.removesuffix("/xAPI") + more if more else ""
        return found


@contextmanager
def ralph(folder: Path, auth_file: Path) -> Iterator[Lrs]:
    """Ralph on a free port, storing in `folder` (fresh); stopped (by its process id) afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(auth_file, folder / "auth.json")
    port = free_port()
    env = {**os.environ, "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_AUTH_FILE": str(folder / "auth.json"),
           "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "data")}
    log = open(folder / "ralph.log", "w+", encoding="utf-8")
    process = subprocess.Popen([str(RALPH_PYTHON), str(Path(__file__).with_name("ralph_server.py")), str(port)],
                               cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/__heartbeat__", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"Ralph did not start:\n{log.read()[-3000:]}")
            time.sleep(0.1)
        yield Lrs(base + "/xAPI", USERNAME, PASSWORD, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
