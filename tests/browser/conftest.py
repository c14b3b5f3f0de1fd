"""Browser tests: a real uvicorn server process on its own database, driven by Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.cli import upgrade_database
from app.db import make_engine, session_scope
from app.demo.accounts import seed_demo
from tests.conftest import PG_URL, create_postgres_database, drop_postgres_database
from tests.live import live_server as start_server

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright cannot download its own here); APTRAIN_CHROMIUM overrides the path."""
    args = dict(browser_type_launch_args)
    path = os.environ.get("APTRAIN_CHROMIUM") or next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)
    if path:
        args["executable_path"] = path
    args["args"] = [
        *args.get("args", []),
        "--disable-gpu",
        "--disable-quic",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    return args


def _browser_database(tmp_path_factory) -> str:
    """The live server's own database, so per-test cleaning elsewhere never touches it."""
    if not PG_URL:
        return f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    return create_postgres_database(PG_URL, f"browser{os.getpid()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    database_url = _browser_database(tmp_path_factory)
    upgrade_database(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        seed_demo(session)
    engine.dispose()
    with start_server(database_url, tmp_path_factory.mktemp("server") / "server.log") as server:
        yield server.base_url
    if PG_URL:
        drop_postgres_database(PG_URL, database_url)


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server
