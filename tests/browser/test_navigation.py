"""The header's main menu fits on one row at 1,280 px for the viewer who sees the most items (a central admin),
and the admin area's own navigation marks the page it is on (issue 11, item 12)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.journey import assert_accessible, sign_in


def test_the_main_menu_fits_on_one_row_at_1280_px(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    items = page.locator(".govuk-service-navigation__item")
    expect(items).to_have_count(7)  # Your training, Your record, Authoring, Compliance, Officials, Requirements, Admin
    tops = items.evaluate_all("items => items.map(item => Math.round(item.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, f"the main menu wraps: item tops {tops}"

    page.get_by_role("link", name="Admin", exact=True).click()
    admin = page.get_by_role("navigation", name="Admin")
    expect(admin.locator("[aria-current=page]")).to_have_text("Countries at risk")
    admin.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(admin.locator("[aria-current=page]")).to_have_text("API tokens")
    expect(page.locator(".govuk-service-navigation [aria-current]")).to_have_text("Admin")
    assert_accessible(page)
    context.close()


def test_a_confirmation_step_and_its_success_banner_pass_axe(browser: Browser, base_url):
    """Revoking an API token asks first, then the list says it was done; the audit log reads it in words."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    page.goto("/admin/api-tokens")
    page.get_by_label("Name").fill("Navigation test warehouse")
    page.get_by_label("All departments").check()
    page.get_by_role("button", name="Create token").click()
    page.get_by_role("link", name="Revoke Navigation test warehouse").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the API token Navigation test warehouse?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, revoke this token").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "API token revoked: Navigation test warehouse")
    assert_accessible(page)
    page.reload()
    expect(page.locator(".govuk-notification-banner--success")).to_have_count(0)  # shown once
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    page.get_by_label("What changed").select_option("api-token.revoke")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#audit-events tbody tr").first).to_contain_text("API token revoked: Navigation test warehouse")
    assert_accessible(page)
    context.close()
