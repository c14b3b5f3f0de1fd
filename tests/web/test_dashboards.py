"""Compliance dashboards: every view for every role, exact figures, the officials behind them, filters, scope."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from app.clock import today
from app.models import Assignment, Requirement
from app.services.audit import Actor
from app.services.compliance.maintained import sync
from app.services.compliance.status import expiring_soon, status_at
from app.services.learning.catalogue import facts_of
from app.services.organisation.assignments import recompute_officials
from app.services.organisation.risk import AssessmentInput, set_assessment
from tests.conftest import check_page
from tests.factories import PASSWORD, make_posting, make_requirement

TODAY = today()
STATUS_FIGURES = ("assigned", "compliant", "overdue", "not-yet-due", "exempt", "expiring-soon")


@pytest.fixture
def org(org, session):
    """The shared `org` (conftest.py) with training: everyone must take one module, officials posted to an
    at-risk country another; one completion, one exemption, one extension."""
    people = {k: org[k] for k in ("manager", "in_team", "other_team", "dept_admin", "mod_official", "central", "learner")}
    set_assessment(session, Actor(None, "test"), AssessmentInput("SD", True, "EWP", "2025-26", TODAY), TODAY)
    everyone = make_requirement(session, name="Everyone", module_id="checkpoint-visit", due_days=-5)
    make_requirement(session, name="Pre-deployment", module_id="posted-module", at_risk_posting=True,
                     due_rule="posting", due_days=-14)
    make_posting(session, people["in_team"], "SD", TODAY + timedelta(days=30), post="British Embassy Khartoum")
    make_posting(session, people["mod_official"], "FR", TODAY - timedelta(days=30), post="British Embassy Paris")
    # Assigned 40 days ago: "Everyone" is due 30 days later (its grace period), so overdue today.
    recompute_officials(session, [p.id for p in people.values()], TODAY - timedelta(days=40))
    recompute_officials(session, [p.id for p in people.values()], TODAY)
    session.commit()

    def edit(who, requirement, **values):
        row = session.exec(select(Assignment).where(Assignment.official_id == people[who].id,
                                                    Assignment.requirement_id == requirement.id)).one()
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        sync(session, [row.id])  # facts written directly: keep the maintained counts with them

    edit("in_team", everyone, completed_on=TODAY - timedelta(days=10), expires_on=TODAY + timedelta(days=10))
    edit("other_team", everyone, exempt_until=TODAY + timedelta(days=30))
    edit("mod_official", everyone, completed_on=TODAY - timedelta(days=100))
    edit("learner", everyone, extended_to=TODAY + timedelta(days=20))
    session.commit()
    return org


def expected(session, official_ids, on=TODAY) -> Counter:
    """The figures for these officials, from the Python definition (app.services.compliance.status), one official at a time."""
    figures = Counter()
    rows = session.exec(select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id)
                        .where(Assignment.official_id.in_(official_ids))).all()
    for assignment, requirement in rows:
        status = status_at(facts_of(assignment, requirement), on)
        if status is None:
            continue
        figures["assigned"] += 1
        figures[status.value] += 1
        figures["expiring-soon"] += expiring_soon(facts_of(assignment, requirement), on)
    return figures


def sign_in(client, org, who):
    client.sign_in(org[who].email, PASSWORD)


def listed(client, url) -> list[str]:
    """The names of the officials listed by an official list page (every page of it)."""
    page = check_page(client.get(url).text)
    return [a.get_text(strip=True) for a in page.select(".app-official-list tbody td:first-child a")]


def figure_links(page):
    return [a for a in page.select("#dashboard a[href^='/compliance/officials?']")]


# ---- the authorisation matrix --------------------------------------------------------------------------------

VIEWS = ["/compliance", "/compliance/definitions", "/compliance/departments/{fcdo}", "/compliance/departments/{mod}",
         "/compliance/team", "/compliance/officials", "/compliance/officials?status=overdue"]
MATRIX = {
    # who: status per view, in VIEWS order (303 = redirected to their own view)
    "central": [200, 200, 200, 200, 303, 200, 200],
    "dept_admin": [303, 200, 200, 404, 303, 200, 200],
    "manager": [303, 200, 404, 404, 200, 200, 200],
    "learner": [403, 200, 403, 403, 403, 403, 403],
}


@pytest.mark.parametrize("who", list(MATRIX))
@pytest.mark.parametrize("htmx", [False, True])
def test_every_view_for_every_role(client, org, who, htmx):
    sign_in(client, org, who)
    headers = {"HX-Request": "true"} if htmx else {}
    for view, status in zip(VIEWS, MATRIX[who]):
        url = view.format(fcdo=org["fcdo"].id, mod=org["mod"].id)
        response = client.get(url, headers=headers)
        assert response.status_code == status, (who, url, response.status_code)
        if status == 200 and htmx and "definitions" not in url:
            assert response.text.lstrip().startswith('<div id="dashboard"'), url  # the fragment, not the page
        if status == 200 and not htmx and who != "learner":
            assert check_page(response.text).select_one(".govuk-service-navigation a[href='/compliance']")


def test_redirects_go_to_the_viewers_own_view_keeping_the_filters(client, org):
    sign_in(client, org, "dept_admin")
    response = client.get("/compliance?module=checkpoint-visit")
    assert response.headers["location"] == f"/compliance/departments/{org['fcdo'].id}?module=checkpoint-visit"
    client.cookies.clear()
    sign_in(client, org, "manager")
    assert client.get("/compliance").headers["location"] == "/compliance/team"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/compliance").headers["location"].startswith("/sign-in")


# ---- exact figures ------------------------------------------------------------------------------------------


def test_central_view_figures_match_the_python_definition(client, session, org):
    sign_in(client, org, "central")
    page = check_page(client.get("/compliance").text)
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.select(".app-counts tbody tr")}
    fcdo_ids = [org[k].id for k in ("manager", "in_team", "other_team", "dept_admin", "learner")]
    mod_ids = [org[k].id for k in ("mod_official", "central")]
    for name, ids in (("FCDO", fcdo_ids), ("MOD", mod_ids)):
        want = expected(session, ids)
        assert rows[name] == [str(want["assigned"]), str(want["compliant"]),
                              f"{100 * want['compliant'] / (want['assigned'] - want['exempt']):.0f}%",
                              str(want["overdue"]), str(want["not-yet-due"]), str(want["exempt"]),
                              str(want["expiring-soon"])]
    # The numbers themselves, so the definition cannot drift unnoticed.
    assert rows["FCDO"] == ["6", "1", "20%", "2", "2", "1", "1"]
    assert rows["MOD"] == ["2", "1", "50%", "1", "0", "0", "0"]
    assert rows["All departments"] == ["8", "2", "29%", "3", "2", "1", "1"]


def test_every_figure_links_to_a_list_with_that_many_rows(client, org):
    sign_in(client, org, "central")
    for url in ("/compliance", f"/compliance/departments/{org['fcdo'].id}",
                f"/compliance/departments/{org['fcdo'].id}?unit={org['africa'].id}"):
        page = check_page(client.get(url).text)
        links = figure_links(page)
        assert links, url
        for link in links:
            total = check_page(client.get(link["href"]).text).select_one("p[role=status]").get_text()
            assert total.split()[0] == link.get_text(strip=True), (url, link["href"], total)


def test_department_view_rolls_units_up_and_drills_down(client, session, org):
    sign_in(client, org, "dept_admin")
    url = f"/compliance/departments/{org['fcdo'].id}"
    page = check_page(client.get(url).text)
    units = {tr.th.get_text(" ", strip=True): tr.td.get_text(strip=True) for tr in page.select(".app-counts")[0].select("tbody tr")}
    assert units == {"Africa Directorate : units within": "4", "Europe Directorate": "2"}
    countries = page.select(".app-counts")[1].select("tbody tr")
    assert "Sudan" in countries[0].th.text and "At risk" in countries[0].th.text and "Khartoum" in countries[0].th.text
    drilled = check_page(client.get(f"{url}?unit={org['africa'].id}").text)
    units = {tr.th.get_text(" ", strip=True): tr.td.get_text(strip=True) for tr in drilled.select(".app-counts")[0].select("tbody tr")}
    assert units == {"Officials directly in Africa Directorate": "1", "Policy team": "3"}
    assert drilled.select_one(".govuk-breadcrumbs")
    modules = {tr.th.contents[0].strip(): tr.td.get_text(strip=True) for tr in drilled.select(".app-counts")[2].select("tbody tr")}
    assert modules == {"A visit to the checkpoint": "3", "posted-module": "1"}, modules
    # A unit of another department is not part of this department.
    assert client.get(f"{url}?unit={org['defence'].id}").status_code == 404


def test_team_view_shows_each_official_and_their_modules(client, session, org):
    sign_in(client, org, "manager")
    page = check_page(client.get("/compliance/team").text)
    names = [th.get_text(strip=True) for th in page.select(".app-team tbody th")]
    assert names == ["Mara Achebe", "Tendai Banda", "Lars Gray"]
    tendai = page.select(".app-team tbody tr")[1].get_text(" ", strip=True)
    assert "Compliant" in tendai and "Not yet due" in tendai and "Expiring soon" in tendai
    assert "Ulla" not in page.text and "Victor" not in page.text
    assert page.select_one(".app-headline").get_text(" ", strip=True).startswith("Compliance 25%")
    # Drilling to a unit outside the team is refused.
    assert client.get(f"/compliance/team?unit={org['europe'].id}").status_code == 404


def test_the_team_view_says_which_figures_count_assignments_and_which_count_people(client, session, org):
    """'Assigned 4' beside '3 officials' was unexplained: the figures are named assignments and the two are related."""
    sign_in(client, org, "manager")
    page = check_page(client.get("/compliance/team").text)
    headline = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True) for dt in page.select(".app-headline dt")}
    assert headline["Assignments"] == "4" and "Assigned" not in headline
    assert "count assignments: one for each module an official must take" in page.select_one(".app-headline__note").text
    people = page.select_one("#team-people").get_text(" ", strip=True)
    assert people.startswith("3 officials with training assigned") and "4 assignments between them" in people
    assert [th.get_text(strip=True) for th in page.select(".app-counts thead th")][1] == "Assignments"
    definitions = check_page(client.get("/compliance/definitions").text)
    assert "counts assignments, not people" in definitions.select("dd")[0].text


# ---- the lists behind the figures, and scope ----------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?department={mod}", "?unit={europe}", "?unit={defence}&department={mod}",
                                   "?country=FR", "?status=compliant&department={mod}"])
def test_a_manager_never_sees_outside_their_team_whatever_the_url(client, org, query):
    sign_in(client, org, "manager")
    url = "/compliance/officials" + query.format(mod=org["mod"].id, europe=org["europe"].id, defence=org["defence"].id)
    names = set(listed(client, url))
    assert names <= {"Mara Achebe", "Tendai Banda", "Lars Gray"}
    assert bool(names) == (query == "")


def test_a_department_admin_sees_only_their_department(client, org):
    sign_in(client, org, "dept_admin")
    assert set(listed(client, f"/compliance/officials?department={org['mod'].id}")) == set()
    assert set(listed(client, "/compliance/officials?status=overdue")) == {"Mara Achebe", "Dana Dube"}
    assert client.get(f"/compliance/departments/{org['mod'].id}?module=x").status_code == 404


@pytest.mark.parametrize("status", STATUS_FIGURES)
def test_each_status_lists_exactly_the_officials_the_definition_gives(client, session, org, status):
    sign_in(client, org, "central")
    everyone = [org[k].id for k in ("manager", "in_team", "other_team", "dept_admin", "mod_official", "central", "learner")]
    html = client.get(f"/compliance/officials?status={status}").text
    total = int(check_page(html).select_one("p[role=status]").get_text().split()[0])
    assert total == expected(session, everyone)[status]


def test_official_list_sorts_and_pages(client, session, org):
    sign_in(client, org, "central")
    assert listed(client, "/compliance/officials?sort=name")[0] == "Mara Achebe"
    by_unit = listed(client, "/compliance/officials?sort=unit")
    assert by_unit == ["Mara Achebe", "Tendai Banda", "Tendai Banda", "Lars Gray", "Ulla Carlsen", "Dana Dube",
                       "Victor Evans", "Cleo Fox"]  # Africa Directorate, its Policy team, Europe, Operations
    by_due = listed(client, "/compliance/officials?sort=due&status=not-yet-due")
    assert by_due == ["Lars Gray", "Tendai Banda"]  # extended to 20 days; flagged today, so 30 days' grace
    from app.services.compliance.officials import official_list
    from app.services.organisation.scope import Scope

    first = official_list(session, Scope(everything=True), TODAY, per_page=3, page=1)
    last = official_list(session, Scope(everything=True), TODAY, per_page=3, page=3)
    assert (first.total, first.pages, len(first.rows), len(last.rows)) == (8, 3, 3, 2)
    page = check_page(client.get("/compliance/officials?page=99").text)
    assert page.select_one("p[role=status]").get_text(strip=True).startswith("8 assignments")


def test_as_at_date_changes_the_figures(client, org):
    sign_in(client, org, "central")
    later = (TODAY + timedelta(days=25)).isoformat()
    assert set(listed(client, f"/compliance/officials?status=overdue&on={later}")) >= {"Tendai Banda", "Lars Gray"}
    before = (TODAY - timedelta(days=41)).isoformat()  # the day before the training was assigned
    page = check_page(client.get(f"/compliance/officials?on={before}").text)
    assert page.select_one("p[role=status]").get_text(strip=True).startswith("0 assignments")


@pytest.mark.parametrize("query", ["on=2026-02-30", "department=abc", "unit=-1", "status=late", "sort=age",
                                   "country=Sudan", "page=x", "module=%3Cscript%3E"])
@pytest.mark.parametrize("path", ["/compliance", "/compliance/officials"])
def test_bad_filters_answer_422_with_an_error_summary(client, org, query, path):
    sign_in(client, org, "central")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422
    page = check_page(response.text)
    field = query.split("=")[0]
    assert page.select_one(".govuk-error-summary a")["href"] == ("#on-day" if field == "on" else f"#{field}")
    assert page.title.get_text().startswith("Error: ")
    fragment = client.get(f"{path}?{query}", headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "govuk-error-summary" in fragment.text


def test_bad_filters_on_the_department_and_team_views(client, org):
    sign_in(client, org, "dept_admin")
    assert client.get(f"/compliance/departments/{org['fcdo'].id}?on=yesterday").status_code == 422
    client.cookies.clear()
    sign_in(client, org, "manager")
    assert client.get("/compliance/team?on=31/02/2026").status_code == 422


def test_filter_form_works_without_javascript_and_enhances_with_htmx(client, org):
    sign_in(client, org, "central")
    page = check_page(client.get("/compliance/officials?status=overdue&sort=due").text)
    form = page.select_one("form.app-filter")
    assert form["method"] == "get" and form["action"] == "/compliance/officials"
    assert form["hx-target"] == "#dashboard" and form["hx-push-url"] == "true"
    assert page.select_one("#status option[selected]")["value"] == "overdue"
    exports = [a["href"] for a in page.select(".app-export-links a")]
    assert exports == ["/compliance/export.csv?view=officials&status=overdue&on=" + TODAY.isoformat() + "&sort=due",
                       "/compliance/export.xlsx?view=officials&status=overdue&on=" + TODAY.isoformat() + "&sort=due"]


def test_definitions_page_gives_every_definition(client, org):
    from app.services.compliance.dashboards import DEFINITIONS, definitions

    sign_in(client, org, "manager")
    page = check_page(client.get("/compliance/definitions").text)
    assert [dt.get_text(strip=True) for dt in page.select("dt")] == [term for term, _ in DEFINITIONS]
    assert all(term in definitions for term, _ in DEFINITIONS)
    assert check_page(client.get("/compliance/team").text).select_one("a[href='/compliance/definitions']")


def test_the_trend_says_in_words_how_compliance_changed_from_the_first_month_to_the_last(client, session, org):
    from app.services.compliance.counts import total
    from app.services.compliance.snapshots import take_snapshot
    from app.services.organisation.scope import Scope

    earlier = TODAY - timedelta(days=35)  # always another month; the training was assigned 40 days ago
    for day in (earlier, TODAY):
        take_snapshot(session, day)
    session.commit()
    before, after = (round(total(session, Scope(everything=True), day).percent) for day in (earlier, TODAY))
    assert before < after
    sign_in(client, org, "central")
    page = check_page(client.get("/compliance").text)
    assert page.select_one("svg.app-trend desc").get_text() == (
        f"Compliance rose from {before}% in {earlier:%B %Y} to {after}% in {TODAY:%B %Y}; "
        "the table below gives every month's figure.")
    assert len(page.select(".govuk-details tbody tr")) == 2  # the table alternative, a row a month


def test_each_dashboard_draws_the_trend_within_the_viewers_scope(client, session, org):
    from app.services.compliance.snapshots import take_snapshot

    take_snapshot(session, TODAY)
    session.commit()
    sign_in(client, org, "manager")
    page = check_page(client.get("/compliance/team").text)
    chart = page.select_one("svg.app-trend[role=img]")
    assert chart.title.get_text().startswith("Compliance over the last 12 months")
    assert chart.desc.get_text().startswith(f"Compliance was 25% in {TODAY:%B %Y}, the only month with figures so far")
    details = page.select_one(".govuk-details")
    assert "Show the figures as a table" in details.get_text()
    cells = [td.get_text(strip=True) for td in details.select("tbody td")]
    assert cells == ["4", "1", "0", "1", "25%"]  # the manager's subtree only: Mara, Tendai (two), Lars
    client.cookies.clear()
    sign_in(client, org, "central")
    page = check_page(client.get("/compliance").text)
    assert [td.get_text(strip=True) for td in page.select(".govuk-details tbody td")] == ["8", "2", "1", "3", "29%"]
