"""A manager sees their team's compliance in Chromium, filters it, and drills down to an overdue official."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.engine import make_url
from sqlmodel import select

from app import PROJECT_ROOT
from app.clock import today
from app.content import load_library
from app.db import make_engine, session_scope
from app.models import Assignment, Department, Official, Requirement, Unit
from app.services.compliance.maintained import sync
from app.services.compliance.snapshots import take_snapshot
from app.services.organisation.assignments import recompute_officials
from tests.browser.journey import assert_accessible, heading, sign_in
from tests.conftest import PG_URL

MODULE = sorted(load_library(PROJECT_ROOT / "modules").modules.values(), key=lambda m: m.id)[0]


def _live_database_url(tmp_path_factory) -> str:
    """The live server's database (tests/browser/conftest.py makes it: a file under the run's temp folder, or a
    PostgreSQL database named after this process)."""
    if PG_URL:
        base = make_url(PG_URL)
        return base.set(database=f"{base.database}_browser{os.getpid()}").render_as_string(hide_password=False)
    found = sorted(tmp_path_factory.getbasetemp().glob("live*/live.db"))
    assert found, "the live server's database was not found"
    return f"sqlite:///{found[0]}"


@pytest.fixture(scope="module")
def team(live_server, tmp_path_factory):
    """The demo manager's own small team: a directorate and a team under it, one requirement, two overdue."""
    engine = make_engine(_live_database_url(tmp_path_factory))
    with session_scope(engine) as session:
        department = Department(code="BRW", name="Department for Browser Tests")
        session.add(department)
        session.flush()
        units = []
        for name, parent in (("Browser Directorate", None), ("Browser team", 0)):
            parent_unit = units[parent] if parent is not None else None
            unit = Unit(department_id=department.id, parent_id=parent_unit.id if parent_unit else None, name=name,
                        full_name=f"{parent_unit.full_name} / {name}" if parent_unit else name, path="")
            session.add(unit)
            session.flush()
            unit.path = (parent_unit.path if parent_unit else f"/d{department.id}/") + f"{unit.id}/"
            units.append(unit)
        manager = session.exec(select(Official).where(Official.email == "manager@example.gov.uk")).one()
        manager.department_id, manager.unit_id, manager.unit_path = department.id, units[0].id, units[0].path
        people = [manager]
        for n, (given, family) in enumerate((("Ada", "Overdue"), ("Ben", "Onschedule"), ("Cat", "Trained"))):
            people.append(Official(email=f"browser{n}@example.gov.uk", given_name=given, family_name=family,
                                   department_id=department.id, unit_id=units[1].id, unit_path=units[1].path))
        session.add_all(people)
        session.add(Requirement(name="Browser team training", module_id=MODULE.id, department_ids=str(department.id),
                                due_days=-5))
        session.flush()
        recompute_officials(session, [p.id for p in people], today() - timedelta(days=40))  # due 30 days later
        recompute_officials(session, [p.id for p in people], today())
        rows = {a.official_id: a for a in session.exec(select(Assignment).where(
            Assignment.official_id.in_([p.id for p in people])))}
        rows[people[2].id].extended_to = today() + timedelta(days=30)
        rows[people[3].id].completed_on = today() - timedelta(days=3)
        sync(session, [a.id for a in rows.values()])  # facts written directly: keep the maintained counts with them
        take_snapshot(session, today())
    engine.dispose()
    return {"unit": units[1].name}


def test_a_manager_drills_down_to_an_overdue_official(browser: Browser, base_url, team):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "manager@example.gov.uk")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My team: compliance")
    officials = page.locator(".app-team tbody")
    expect(officials).to_contain_text("Ada Overdue")
    expect(officials.locator("tr", has_text="Cat Trained")).to_contain_text("Compliant")
    expect(page.get_by_role("img", name="Compliance over the last 12 months: my team")).to_be_visible()
    # The chart's axis labels are in the page's font, not the browser's default serif.
    fonts = page.evaluate("""() => [getComputedStyle(document.querySelector('.app-trend text')).fontFamily,
                                     getComputedStyle(document.querySelector('.govuk-body')).fontFamily]""")
    assert fonts[0] == fonts[1] and "serif" not in fonts[0].replace("sans-serif", ""), fonts
    assert_accessible(page)

    # Filter with htmx: the dashboard is swapped in place and the address follows.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Module", exact=True).select_option(MODULE.id)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"/compliance/team\?.*module={MODULE.id}"))
    assert page.evaluate("window.__sameDocument === true")
    assert heading(page) == "My team: compliance"
    assert_accessible(page)

    # The officials behind the team's overdue figure.
    row = page.locator(".app-counts").first.locator("tr", has_text=team["unit"])
    row.locator("td").nth(3).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Officials: overdue")
    expect(page.locator(".app-official-list tbody tr")).to_have_count(1)
    expect(page.locator(".app-official-list tbody")).to_contain_text("Ada Overdue")
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute("href", f"/compliance/export.csv?view=officials&status=overdue&unit={_unit_id(page)}&module={MODULE.id}&on={today().isoformat()}")
    assert_accessible(page)

    page.get_by_role("link", name="Ada Overdue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Overdue")
    expect(page.locator("main")).to_contain_text("Overdue")
    assert_accessible(page)

    page.goto("/compliance/definitions")
    expect(page.get_by_role("heading", level=1)).to_have_text("How compliance is defined")
    assert_accessible(page)
    context.close()


def _unit_id(page) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(page.url).query)["unit"][0]


def test_the_dashboard_works_without_javascript(browser: Browser, base_url, team):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "manager@example.gov.uk", javascript=False)
    page.goto("/compliance")
    expect(page.get_by_role("heading", level=1)).to_have_text("My team: compliance")
    page.get_by_role("group", name="As at").get_by_label("Month").fill("not a month")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("As-at date must be a real date")
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".app-team tbody")).to_contain_text("Ben Onschedule")
    context.close()
