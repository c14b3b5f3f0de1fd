"""Forms that speak the user's language (issue 11, items 10 and 19): dates as day / month / year with GOV.UK's
messages, units chosen by name within scope, countries from a list of real places, the commonest first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.clock import today
from app.models import Posting, Requirement
from app.services.organisation import requirements
from app.services.organisation.requirements import RequirementInput
from app.services.organisation.scope import Scope
from app.web.forms.common import date_values, parse_date_input
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_posting


@pytest.mark.parametrize(
    ("typed", "value", "message", "anchor"),
    [
        (("12", "1", "2027"), date(2027, 1, 12), None, None),
        ((" 3 ", "Mar", "2027"), date(2027, 3, 3), None, None),
        (("3", "september", "2027"), date(2027, 9, 3), None, None),
        (("", "", ""), None, "Enter the start date", "start_on-day"),
        (("12", "", "2027"), None, "Start date must include a month", "start_on-month"),
        (("", "", "2027"), None, "Start date must include a day and month", "start_on-day"),
        (("12", "1", ""), None, "Start date must include a year", "start_on-year"),
        (("30", "2", "2027"), None, "Start date must be a real date", "start_on-day"),
        (("12", "13", "2027"), None, "Start date must be a real date", "start_on-day"),
        (("12", "x", "2027"), None, "Start date must be a real date", "start_on-month"),
        (("12", "1", "27"), None, "Year must include 4 numbers", "start_on-year"),
    ],
)
def test_one_parser_gives_the_gov_uk_date_input_messages(typed, value, message, anchor):
    given = parse_date_input(dict(zip(("start_on-day", "start_on-month", "start_on-year"), typed, strict=True)),
                             "start_on", "Start date")
    assert given.value == value
    assert given.errors == ({anchor: message} if message else {})


def test_an_optional_date_may_be_left_empty_but_not_half_typed():
    assert parse_date_input({}, "end_on", "End date", required=False).errors == {}
    half = parse_date_input({"end_on-year": "2027"}, "end_on", "End date", required=False)
    assert half.errors == {"end_on-day": "End date must include a day and month"}


def _posting_form(client, org):
    client.sign_in(org["dept_admin"].email, PASSWORD)
    url = f"/manage/officials/{org['in_team'].id}"
    html = client.get(url).text
    return url, html, hidden_fields(html, url + "/postings")


def test_the_posting_form_asks_for_day_month_and_year_and_explains_what_is_wrong(client, session, org):
    url, html, fields = _posting_form(client, org)
    page = check_page(html)
    form = page.find("form", action=url + "/postings")
    for part in ("day", "month", "year"):
        assert form.select_one(f"input#start_on-{part}[name=start_on-{part}][inputmode=numeric]")
        assert form.select_one(f"input#end_on-{part}")
    assert form.select_one("#start_on").find_parent("fieldset").legend.get_text(strip=True) == "Start date"
    assert "YYYY" not in html and not form.select("input[name=start_on], input[type=date]")

    bad = client.post(url + "/postings", data={**fields, "country": "SD", "post": "British Embassy Khartoum",
                                               "start_on-day": "12", "start_on-month": "", "start_on-year": "2027"})
    assert bad.status_code == 422
    page = check_page(bad.text)
    link = page.select_one(".govuk-error-summary a")
    assert link["href"] == "#start_on-month" and link.get_text(strip=True) == "Start date must include a month"
    assert "Start date must include a month" in page.select_one("#start_on-error").text
    assert "govuk-input--error" in page.select_one("#start_on-month")["class"]
    assert "govuk-input--error" not in page.select_one("#start_on-day")["class"]
    assert page.select_one("#start_on-day")["value"] == "12"  # what was typed comes back

    bad = client.post(url + "/postings", data={**fields, "country": "SD", "post": "British Embassy Khartoum",
                                               **date_values("start_on", date(2027, 3, 1)),
                                               "end_on-day": "31", "end_on-month": "2", "end_on-year": "2027"})
    assert bad.status_code == 422 and "End date must be a real date" in bad.text
    assert session.exec(select(Posting)).first() is None

    start = today() + timedelta(days=30)
    ok = client.post(url + "/postings", data={**fields, "country": "SD", "post": "British Embassy Khartoum",
                                              **date_values("start_on", start)})
    assert ok.status_code == 303
    assert session.exec(select(Posting)).one().start_on == start


def test_the_country_select_offers_real_places_the_commonest_first(client, session, org):
    make_posting(session, org["other_team"], "YE", today())
    _url, html, _fields = _posting_form(client, org)
    select_ = check_page(html).select_one("select#country")
    assert select_["data-app-autocomplete"] == "country"
    options = [(o.get("value"), o.get_text(strip=True)) for o in select_.find_all("option")]
    names = [name for _value, name in options]
    assert "Antarctica" not in names and "Bouvet Island" not in names and "Heard Island and McDonald Islands" not in names
    assert "Democratic Republic of the Congo" in names and "Congo, The Democratic Republic of the" not in names
    assert len(names) < 210
    assert names.index("Yemen") < names.index("All countries, A to Z") < names.index("Afghanistan")
    assert names.count("Yemen") == 1


def test_a_country_not_offered_is_refused(client, session, org):
    url, _html, fields = _posting_form(client, org)
    response = client.post(url + "/postings", data={**fields, "country": "AQ", "post": "Rothera",
                                                    **date_values("start_on", today())})
    assert response.status_code == 422 and "Select the country of the posting" in response.text
    assert session.exec(select(Posting)).first() is None


def test_extension_dates_are_day_month_year_and_must_not_be_past(client, session, org):
    from app.services.organisation.assignments import recompute_officials
    from tests.factories import make_requirement

    make_requirement(session, due_days=10)
    recompute_officials(session, [org["in_team"].id], today())
    session.commit()
    client.sign_in(org["manager"].email, PASSWORD)
    html = client.get(f"/manage/officials/{org['in_team'].id}").text
    page = check_page(html)
    form = page.select_one("form[action$='/extensions']")
    assert form.select_one("input[name=until-day]") and form.select_one("input[name=until-year]")
    action = form["action"]
    assignment_id = action.split("/")[-2]
    response = client.post(action, data={**hidden_fields(html, action), "reason": "absence", "comment": "Leave",
                                         **date_values("until", today() - timedelta(days=1))})
    assert response.status_code == 422
    assert check_page(response.text).select_one(".govuk-error-summary a")["href"] == f"#extension-until-{assignment_id}-day"
    assert "New due date must be today or in the future" in response.text


def _requirement_form(client, org):
    client.sign_in(org["central"].email, PASSWORD)
    html = client.get("/manage/requirements/new").text
    form = {**hidden_fields(html, "/manage/requirements"), "name": "Policy team", "module_id": "checkpoint-visit",
            "at_risk_posting": "no", "due_rule": "fixed", "due_days": "0", "grace_days": "30", "validity_months": "",
            "recertification_days": "30", "retake_on_major": "yes", "active": "yes", "audience": ""}
    return html, form


def test_requirement_units_are_chosen_by_name_and_the_fixed_date_is_day_month_year(client, session, org):
    html, form = _requirement_form(client, org)
    page = check_page(html)
    assert "Unit id" not in page.text and "Unit numbers" not in page.text
    assert not page.select("input[type=text][name=unit_ids], input[name=unit_ids]:not([type=checkbox])")
    boxes = {box.find_next("label").get_text(strip=True): box["value"] for box in page.select("input[type=checkbox][name=unit_ids]")}
    assert {"Africa Directorate", "Africa Directorate / Policy team", "Operations"} <= set(boxes)
    assert boxes["Africa Directorate / Policy team"] == str(org["team"].id)
    assert page.select_one("input#due_date-day[name=due_date-day]")

    bad = client.post("/manage/requirements", data={**form, "unit_ids": [str(org["team"].id), "99999"],
                                                    "due_date-day": "29", "due_date-month": "2", "due_date-year": "2027",
                                                    "action": "save"})
    assert bad.status_code == 422
    errors = {a["href"]: a.get_text(strip=True) for a in check_page(bad.text).select(".govuk-error-summary a")}
    assert errors == {"#unit_ids": "Select units from the list", "#due_date-day": "Fixed due date must be a real date"}
    assert session.exec(select(Requirement)).first() is None

    due = today() + timedelta(days=60)
    ok = client.post("/manage/requirements", data={**form, "unit_ids": str(org["team"].id), **date_values("due_date", due),
                                                   "action": "save"})
    assert ok.status_code == 303
    saved = session.exec(select(Requirement)).one()
    assert saved.unit_ids == str(org["team"].id) and saved.due_date == due
    listing = check_page(client.get("/manage/requirements").text).text
    assert "Africa Directorate / Policy team" in listing
    edit = check_page(client.get(f"/manage/requirements/{saved.id}/edit").text)
    assert edit.select_one(f"input[name=unit_ids][value='{org['team'].id}']").has_attr("checked")
    assert edit.select_one("#due_date-year")["value"] == str(due.year)


def test_units_outside_the_scope_are_neither_offered_nor_accepted(session, org, test_library):
    from app.services.organisation.lookups import units_in_scope

    fcdo = Scope(department_id=org["fcdo"].id)
    offered = {u.id for group in units_in_scope(session, fcdo) for u in group.units}
    assert org["team"].id in offered and org["defence"].id not in offered
    team = Scope(unit_path=org["africa"].path)
    assert {u.id for group in units_in_scope(session, team) for u in group.units} == {org["africa"].id, org["team"].id}
    given = RequirementInput(name="x", module_id="checkpoint-visit", department_ids=[], unit_ids=[org["defence"].id],
                             audience="", at_risk_posting=False, due_rule="assignment", due_days=30, due_date=None,
                             grace_days=30, validity_months=None, recertification_days=30, retake_on_major=True, active=True)
    assert requirements.check(session, test_library, given, fcdo) == {"unit_ids": "Select units from the list"}
    assert requirements.check(session, test_library, given, Scope(everything=True)) == {}


def test_the_dashboard_filter_takes_day_month_year_and_old_links_still_work(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get("/compliance/officials").text)
    form = page.select_one("form.app-filter")
    assert [i["name"] for i in form.select(".govuk-date-input input")] == ["on-day", "on-month", "on-year"]
    assert form.select_one("#on-year")["value"] == str(today().year)
    assert form.select_one("select#country")["data-app-autocomplete"] == "country"
    assert not form.select("input[name=on]")

    past = today() - timedelta(days=40)
    for query in (f"on-day={past.day}&on-month={past.month}&on-year={past.year}", f"on={past.isoformat()}"):
        response = client.get(f"/compliance/officials?{query}")
        assert response.status_code == 200
        assert check_page(response.text).select_one("#on-day")["value"] == str(past.day)

    response = client.get("/compliance/officials?on-day=31&on-month=4&on-year=2026")
    assert response.status_code == 422
    page = check_page(response.text)
    assert page.select_one(".govuk-error-summary a")["href"] == "#on-day"
    assert "As-at date must be a real date" in page.select_one("#on-error").text
    assert page.select_one("#on-day")["value"] == "31"
    response = client.get("/compliance/officials?on-day=1&on-year=2026")
    assert response.status_code == 422 and "As-at date must include a month" in response.text


def test_an_api_token_unit_is_chosen_by_name(client, session, org):
    from app.models import ApiToken

    client.sign_in(org["central"].email, PASSWORD)
    html = client.get("/admin/api-tokens").text
    page = check_page(html)
    assert "Unit id" not in page.text and not page.select("input[name=unit]")
    unit = page.select_one("select#unit")
    assert unit["data-app-autocomplete"] == "unit"
    options = {o.get_text(strip=True): o["value"] for o in unit.find_all("option")}
    assert options["FCDO – Africa Directorate / Policy team"] == str(org["team"].id)
    fields = hidden_fields(html, "/admin/api-tokens")
    missing = client.post("/admin/api-tokens", data={**fields, "name": "HR", "scope": "unit", "unit": ""})
    assert missing.status_code == 422 and "Select a unit" in missing.text
    made = client.post("/admin/api-tokens", data={**fields, "name": "HR", "scope": "unit", "unit": str(org["team"].id)})
    assert made.status_code == 201
    assert session.exec(select(ApiToken)).one().unit_path == org["team"].path
