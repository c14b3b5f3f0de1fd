"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when
APTRAIN_TEST_DATABASE_URL is set), the app, and an HTML-aware test client."""

from __future__ import annotations

import os
import re
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


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """In-process tests hash passwords with argon2id at its lowest cost: the same algorithm and code path
    (argon2 reads the cost from each stored hash), ~1 ms instead of ~140 ms a sign-in. The server processes
    of the browser and concurrency tests keep the production cost."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from app.services.accounts import sessions

    fast = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    saved = sessions._hasher, sessions._DUMMY_HASH
    sessions._hasher, sessions._DUMMY_HASH = fast, fast.hash("dummy")
    yield
    sessions._hasher, sessions._DUMMY_HASH = saved


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "environment": "test",
        "secret_key": TEST_SECRET,
        "database_url": database_url,
        "modules_dir": PROJECT_ROOT / "modules",
    }
    values.update(overrides)
    return Settings(**values)




def create_postgres_database(url: str, suffix: str) -> str:
    """A fresh database beside the one in `url`, named <name>_<suffix>, so concurrent runs never meet."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str, database_url: str) -> None:
    from sqlalchemy.engine import make_url

    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    """This run's own PostgreSQL database (created beside APTRAIN_TEST_DATABASE_URL, dropped at the end)."""
    if not PG_URL:
        yield None
        return
    url = create_postgres_database(PG_URL, f"run{os.getpid()}")
    yield url
    drop_postgres_database(PG_URL, url)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory, pg_url) -> str:
    """A database migrated to head once per run: a file to copy (SQLite) or this run's PostgreSQL URL."""
    if pg_url:
        upgrade_database(pg_url)
        return pg_url
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(migrated_template, tmp_path) -> str:
    """A fresh, migrated, empty database for one test."""
    if PG_URL:
        engine = make_engine(migrated_template)
        # Reference data loaded by migrations (countries) stays; everything else is emptied.
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables if t.name not in REFERENCE_TABLES)
        with engine.begin() as conn:
            # audit_event is append-only (migration 0008): its TRUNCATE trigger is off for this one transaction
            # only (ALTER TABLE is transactional), so the emptying is the tests' alone and the trigger stays.
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
        engine.dispose()
        return migrated_template
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

    def __init__(self, client) -> None:
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
    leaked = LEAKED_MARKUP.search(page.get_text(" "))
    assert not leaked, f"markup shown as text: {leaked.group(0)!r}"
    return page


# An attribute written where text belongs (a caption pasted into an attribute, a broken quote): shown as text.
LEAKED_MARKUP = re.compile(r"\b(tabindex|class|aria-[a-z]+|href|role)=\"|</(span|div|p|a)>")


# --- A small organisation, shared by the tests that need departments, units and officials ---------------------


@pytest.fixture
def org_units(session) -> dict:
    """Two departments: FCDO (Africa Directorate with its Policy team; Europe Directorate) and MOD (Operations)."""
    from tests.factories import make_department, make_unit

    fcdo, mod = make_department(session, "FCDO"), make_department(session, "MOD")
    africa = make_unit(session, fcdo, "Africa Directorate")
    team = make_unit(session, fcdo, "Policy team", parent=africa)
    europe = make_unit(session, fcdo, "Europe Directorate")
    defence = make_unit(session, mod, "Operations")
    return {"fcdo": fcdo, "mod": mod, "africa": africa, "team": team, "europe": europe, "defence": defence}


def place(session, unit, **values):
    """An official in `unit` (and its department)."""
    from tests.factories import make_official

    return make_official(session, department_id=unit.department_id, unit_id=unit.id, unit_path=unit.path, **values)


@pytest.fixture
def org(session, org_units) -> dict:
    """`org_units` and one official per role and place, no training yet:
    manager of Africa Directorate, two FCDO learners in and out of the manager's team, an FCDO department
    admin, a MOD official, a central admin (in MOD) and a plain learner in the Policy team."""
    u = org_units
    people = {
        "manager": place(session, u["africa"], roles="learner manager", given_name="Mara", family_name="Achebe"),
        "in_team": place(session, u["team"], given_name="Tendai", family_name="Banda"),
        "other_team": place(session, u["europe"], given_name="Ulla", family_name="Carlsen"),
        "dept_admin": place(session, u["europe"], roles="learner department-admin", given_name="Dana", family_name="Dube"),
        "mod_official": place(session, u["defence"], given_name="Victor", family_name="Evans"),
        "central": place(session, u["defence"], roles="learner central-admin", given_name="Cleo", family_name="Fox"),
        "learner": place(session, u["team"], given_name="Lars", family_name="Gray"),
    }
    return {**u, **people}


@pytest.fixture
def populated_org(session, org_units) -> dict:
    """`org_units` with a manager, a department admin, a central admin and nine officials (some with names a
    spreadsheet would read as formulas), two requirements each, in every status."""
    from datetime import timedelta

    from sqlmodel import select

    from app.clock import today
    from app.models import Assignment
    from app.services.compliance.maintained import sync
    from app.services.organisation.assignments import recompute_officials
    from tests.factories import make_requirement

    u = org_units
    make_requirement(session, name="Everyone", module_id="checkpoint-visit", due_days=-5)
    people = {
        "manager": place(session, u["africa"], roles="learner manager", given_name="Mara"),
        "dept_admin": place(session, u["europe"], roles="learner department-admin"),
        "central": place(session, u["defence"], roles="learner central-admin"),
    }
    names = ["=HYPERLINK(\"x\")", "+Plus", "-Minus", "@At", "Tendai", "Ulla", "Victor", "Wen", "Yusuf"]
    for n, name in enumerate(names):
        unit = [u["team"], u["africa"], u["europe"], u["defence"]][n % 4]
        people[f"p{n}"] = place(session, unit, given_name=name)
    # "Everyone" was assigned 40 days ago (so it is overdue now: due 30 days' grace later); "Refresher" today.
    recompute_officials(session, [p.id for p in people.values()], today() - timedelta(days=40))
    make_requirement(session, name="Refresher", module_id="counting-people", due_days=20, validity_months=12)
    recompute_officials(session, [p.id for p in people.values()], today())
    session.commit()
    rows = session.exec(select(Assignment).order_by(Assignment.id)).all()
    for n, assignment in enumerate(rows):
        if n % 5 == 1:
            assignment.completed_on, assignment.expires_on = today() - timedelta(days=10), today() + timedelta(days=12)
        elif n % 5 == 2:
            assignment.completed_on = today() - timedelta(days=3)
        elif n % 5 == 3:
            assignment.exempt_until = today() + timedelta(days=30)
        session.add(assignment)
    sync(session, [a.id for a in rows])  # facts written directly: keep the maintained counts with them
    session.commit()
    return {**u, **people}


@pytest.fixture
def sign_in_as(client, session):
    """sign_in_as(roles="learner", **fields): a new official with those roles, signed in on `client`."""
    from tests.factories import PASSWORD, make_official

    def sign_in(roles: str = "learner", **fields):
        official = make_official(session, roles=roles, **fields)
        client.sign_in(official.email, PASSWORD)
        return official

    return sign_in


def hidden_fields(html: str, action: str | None = None, *, action_ending: str | None = None) -> dict:
    """The hidden inputs of the form whose action is `action` (or ends with `action_ending`)."""
    page = BeautifulSoup(html, "html5lib")
    form = next(f for f in page.find_all("form")
                if (action is not None and f.get("action") == action)
                or (action_ending is not None and f.get("action", "").endswith(action_ending)))
    return {i["name"]: i.get("value", "") for i in form.find_all("input", {"type": "hidden"})}
