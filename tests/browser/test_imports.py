"""A central admin checks a file, then imports it without choosing it again, at 1,280 and 375 px (issue 11, item 10)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.journey import assert_accessible, sign_in

RISK_LIST = "country,at_risk,level\nNorway,no,low\n"  # nobody's training changes: no one is posted to a new at-risk country


def test_check_then_import_a_risk_list_by_its_key(browser: Browser, base_url, tmp_path):
    listing = tmp_path / "watch-list.csv"
    listing.write_text(RISK_LIST, encoding="utf-8")
    for width in (1280, 375):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
        page = context.new_page()
        sign_in(page, "central-admin@example.gov.uk")
        page.goto("/admin/imports")
        assert_accessible(page)
        page.get_by_label("Risk list CSV file").set_input_files(str(listing))
        page.get_by_label("Whose assessment is it?").fill(f"Browser test list {width}")
        page.get_by_label("Day").fill("3")
        page.get_by_label("Month").fill("9")
        page.get_by_label("Year").fill("2025")
        page.get_by_role("button", name="Check the list").click()
        expect(page.locator(".govuk-inset-text")).to_contain_text("The file is ready to import")
        expect(page.locator(".govuk-summary-list")).to_contain_text("Held until")
        expect(page.locator(".govuk-summary-list")).to_contain_text(f"Browser test list {width}")
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("button", name="Import watch-list.csv").click()
        expect(page.locator(".govuk-panel")).to_contain_text("Import complete")
        assert_accessible(page)
        context.close()
