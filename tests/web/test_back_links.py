"""An official's page: its back link returns to the list or dashboard the user came from (a same-site path only,
never an open redirect), through the page's own forms too; each assignment is named by the module's title."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from app.clock import today
from app.models import Assignment
from app.services.organisation.assignments import recompute_officials
from app.web.forms.common import back_path, date_values
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_requirement


@pytest.fixture
def trained(session, org):
    make_requirement(session, name="Everyone in Africa", module_id="checkpoint-visit", due_days=-5)
    recompute_officials(session, [org["in_team"].id, org["learner"].id], today() - timedelta(days=40))
    session.commit()
    return org


def back_link(page) -> tuple[str, str]:
    link = page.select_one(".govuk-back-link")
    return link["href"], link.get_text(strip=True)


def official_link(page, name: str) -> str:
    return next(a["href"] for a in page.select("main a") if a.get_text(strip=True) == name)


def test_the_back_link_returns_to_the_list_the_user_came_from(client, trained):
    client.sign_in(trained["manager"].email, PASSWORD)
    for start, text in (("/compliance/officials?status=overdue&sort=due", "Back to the list"),
                        ("/compliance/team", "Back to my team"),
                        ("/manage/officials?q=Banda", "Back to officials")):
        href = official_link(check_page(client.get(start).text), "Tendai Banda")
        assert parse_qs(urlsplit(href).query)["back"] == [start], href
        page = check_page(client.get(href).text)
        assert back_link(page) == (start, text)
    plain = check_page(client.get(f"/manage/officials/{trained['in_team'].id}").text)
    assert back_link(plain) == ("/manage/officials", "Back to officials")


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/compliance", "/\\evil.example",
                                  "/compliance/../admin/audit", "/admin/audit", "javascript:alert(1)",
                                  "/compliance\r\nLocation: https://evil.example", "compliance/officials"])
def test_a_back_address_off_this_site_or_off_the_lists_is_ignored(client, trained, back):
    assert back_path(back) is None
    client.sign_in(trained["manager"].email, PASSWORD)
    page = check_page(client.get(f"/manage/officials/{trained['in_team'].id}", params={"back": back}).text)
    assert back_link(page) == ("/manage/officials", "Back to officials")
    assert not page.select("input[name=back]")


def test_the_back_link_survives_a_form_sent_from_the_page(client, session, trained):
    client.sign_in(trained["manager"].email, PASSWORD)
    start = "/compliance/officials?status=overdue"
    url = f"/manage/officials/{trained['in_team'].id}"
    html = client.get(url, params={"back": start}).text
    mine = session.exec(select(Assignment).where(Assignment.official_id == trained["in_team"].id)).one()
    fields = hidden_fields(html, f"/manage/assignments/{mine.id}/extensions")
    assert fields["back"] == start
    until = date_values("until", today() + timedelta(days=20))
    response = client.post(f"/manage/assignments/{mine.id}/extensions",
                           data={**fields, "reason": "absence", "comment": "Sick leave", **until})
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["back"] == [start]
    assert back_link(check_page(client.get(response.headers["location"]).text)) == (start, "Back to the list")
    bad = client.post(f"/manage/assignments/{mine.id}/extensions", data={**fields, "reason": "", "comment": "", **until})
    assert bad.status_code == 422 and back_link(check_page(bad.text)) == (start, "Back to the list")


def test_the_official_page_names_the_module_as_the_learner_sees_it(client, trained):
    client.sign_in(trained["manager"].email, PASSWORD)
    page = check_page(client.get(f"/manage/officials/{trained['in_team'].id}").text)
    headings = [h.get_text(strip=True) for h in page.select(".app-choice-review h3")]
    assert headings == ["A visit to the checkpoint"]
    assert "Required by: Everyone in Africa" in page.select_one(".app-choice-review").text
    assert "checkpoint-visit" not in page.select_one("main").text
