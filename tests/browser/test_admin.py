"""A central admin sets a rule, posts an official and flags the country; the official sees the training required."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, expect

from tests.browser.journey import assert_accessible, sign_in


def test_flagging_a_country_makes_training_required(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")

    page.get_by_role("link", name="Requirements").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add a requirement").click()
    page.get_by_label("Name").fill("Pre-deployment atrocity prevention training")
    page.get_by_label("Module", exact=True).select_option("recognising-atrocity-risk")
    page.locator("#at_risk_posting").check()
    page.locator("input[name=due_rule][value=posting]").check()
    page.get_by_label("Days", exact=True).fill("-14")
    page.get_by_label("Valid for, in months (empty: never expires)").fill("24")
    assert_accessible(page)
    page.get_by_role("button", name="Check what this would change").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text("What this would change")
    assert_accessible(page)
    page.get_by_role("button", name="Save requirement").click()
    expect(page.locator("tbody")).to_contain_text("Pre-deployment atrocity prevention training")

    page.get_by_role("link", name="Officials").click()
    page.get_by_label("Search by name or email").fill("Nowak")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Tomasz Nowak").click()
    assert_accessible(page)
    start = datetime.now(UTC).date() + timedelta(days=60)
    page.get_by_label("Country").fill("Suda")
    page.get_by_role("option", name="Sudan", exact=True).click()
    page.get_by_label("Post", exact=True).fill("British Embassy Khartoum")
    starts = page.get_by_role("group", name="Start date")
    starts.get_by_label("Day").fill(str(start.day))
    starts.get_by_label("Month").fill(str(start.month))
    starts.get_by_label("Year").fill(str(start.year))
    page.get_by_role("button", name="Add posting").click()
    expect(page.locator("table").first).to_contain_text("British Embassy Khartoum")

    page.get_by_role("link", name="Admin", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Country").fill("Suda")
    page.get_by_role("option", name="Sudan", exact=True).click()
    page.locator("#at_risk").check()
    page.get_by_label("Source", exact=True).fill("Early Warning Project Statistical Risk Assessment")
    page.get_by_label("Edition (optional)").fill("2025-26")
    assessed = page.get_by_role("group", name="Date of the assessment")
    assessed.get_by_label("Day").fill("3")
    assessed.get_by_label("Month").fill("9")
    assessed.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flag Sudan as at risk?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, flag Sudan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Sudan flagged as at risk")
    expect(page.locator("#at-risk")).to_contain_text("Sudan")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "dept-admin@example.gov.uk")
    required = page.locator("table", has=page.locator("caption", has_text="Required training"))
    expect(required).to_contain_text("Recognising atrocity risk")
    expect(required).to_contain_text("will be posted to Sudan")
    expect(required).to_contain_text((start - timedelta(days=14)).strftime("%-d %B %Y"))
    assert_accessible(page)
    context.close()


def test_every_admin_page_is_accessible(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    for url, heading in (
        ("/compliance", "Compliance"),
        ("/compliance/definitions", None),
        ("/compliance/officials?status=assigned", None),
        ("/manage/officials", "Officials"),
        ("/manage/departments", "Departments and units"),
        ("/manage/requirements", "Requirements"),
        ("/admin/countries", "Countries at risk"),
        ("/admin/imports", "Import a file"),
        ("/admin/api-tokens", None),
        ("/admin/audit", "Audit log"),
    ):
        response = page.goto(url)
        assert response.status == 200, url
        if heading:
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(page)
    context.close()
