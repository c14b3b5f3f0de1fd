"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when
APTRAIN_TEST_DATABASE_URL is set), the app, and an HTML-aware test client."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from app import PROJECT_ROOT
from app.cli import upgrade_database
from app.config import Settings
from app.content import load_library
from app.db import make_engine

FIXTURES = Path(__file__).parent / "fixtures"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PG_URL = os.environ.get("APTRAIN_TEST_DATABASE_URL")
REFERENCE_TABLES = {"country"}


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "environment": "test",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
        "modules_dir": PROJECT_ROOT / "modules",
    }
    values.update(overrides)
    return Settings(**values)


def reset_postgres(url: str) -> None:
    """An empty public schema, so migrations start from nothing."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    """A database migrated to head once per run: a file to copy (SQLite) or the PostgreSQL URL."""
    if PG_URL:
        reset_postgres(PG_URL)
        upgrade_database(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    """A fresh, migrated, empty database for one test."""
    if PG_URL:
        engine = make_engine(PG_URL)
        # Reference data loaded by migrations (countries) stays; everything else is emptied.
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables if t.name not in REFERENCE_TABLES)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def test_library():
    """A small, stable module library for tests of the player (not the real content)."""
    library = load_library(FIXTURES / "library")
    assert not library.errors, [str(d) for d in library.errors]
    return library


@pytest.fixture
def settings(database_url) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app(settings, test_library):
    from app.main import create_app

    application = create_app(settings, library=test_library)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as test_client:
        yield HtmlClient(test_client)


class HtmlClient:
    """A test client that checks every HTML page it fetches, as a careful reviewer would."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.cookies = client.cookies

    def get(self, url: str, **kwargs):
        return self._checked(self.client.get(url, **kwargs))

    def post(self, url: str, **kwargs):
        return self._checked(self.client.post(url, **kwargs))

    def _checked(self, response):
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/html"):
            check_page(response.text, fragment=response.request.headers.get("HX-Request") == "true")
        return response

    def csrf_token(self, url: str = "/sign-in") -> str:
        page = BeautifulSoup(self.get(url).text, "html5lib")
        return page.find("input", {"name": "csrf_token"})["value"]

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/sign-in")
        response = self.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
        assert response.status_code == 303, response.text


def check_page(html: str, *, fragment: bool = False) -> BeautifulSoup:
    """Assert the house rules for a page: one h1, a title that starts with it, CSRF in POST forms, unique ids."""
    page = BeautifulSoup(html, "html5lib")
    headings = page.find_all("h1")
    assert len(headings) == 1, f"expected exactly one <h1>, found {len(headings)}"
    if not fragment:
        title = page.title.get_text(strip=True)
        heading = " ".join(headings[0].get_text(" ", strip=True).split())
        assert title.replace("Error: ", "", 1).startswith(heading), f"title {title!r} does not start with h1 {heading!r}"
        assert page.html.get("lang") == "en"
    for form in page.find_all("form"):
        if (form.get("method") or "get").lower() == "post":
            assert form.find("input", {"name": "csrf_token", "type": "hidden"}), f"POST form without CSRF: {form.get('action')}"
    ids = Counter(tag["id"] for tag in page.find_all(id=True))
    duplicates = [i for i, n in ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    return page
