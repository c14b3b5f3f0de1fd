"""The admin area: one "Admin" item in the main menu, its own navigation, the right item marked current
(issue 11, item 12)."""

from __future__ import annotations

import pytest

from tests.conftest import check_page
from tests.factories import PASSWORD

ADMIN_PAGES = {
    "/admin/countries": "Countries at risk",
    "/admin/imports": "Imports",
    "/admin/audit": "Audit log",
    "/admin/api-tokens": "API tokens",
    "/admin/notifications": "Notifications",
}


def _current(page, selector: str) -> list[str]:
    return [a.get_text(strip=True) for a in page.select(f"{selector} a[aria-current]")]


@pytest.mark.parametrize(("url", "label"), ADMIN_PAGES.items())
def test_each_admin_page_marks_admin_and_its_own_item_current(client, org, url, label):
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get(url).text)
    main = page.select_one(".govuk-service-navigation")
    assert _current(main, ".govuk-service-navigation") == ["Admin"]
    admin = page.select_one('nav[aria-label="Admin"]')
    assert {a.get_text(strip=True): a["href"] for a in admin.select("a")} == {v: k for k, v in ADMIN_PAGES.items()}
    assert [(a.get_text(strip=True), a["aria-current"]) for a in admin.select("a[aria-current]")] == [(label, "page")]


def test_the_main_menu_has_one_admin_item_for_central_admins_only(client, org):
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get("/training").text)
    items = [a.get_text(strip=True) for a in page.select(".govuk-service-navigation a")]
    assert items == ["Your training", "Your record", "Authoring", "Compliance", "Officials", "Requirements", "Admin"]
    assert _current(page, ".govuk-service-navigation") == ["Your training"]
    assert not page.select('nav[aria-label="Admin"]')
    client.cookies.clear()
    client.sign_in(org["dept_admin"].email, PASSWORD)
    page = check_page(client.get("/manage/requirements").text)
    assert "Admin" not in [a.get_text(strip=True) for a in page.select(".govuk-service-navigation a")]
    assert _current(page, ".govuk-service-navigation") == ["Requirements"]
