"""The country select: GOV.UK accessible-autocomplete with JavaScript, a plain select without; dates as day / month /
year (issue 11, items 10 and 19)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.browser.journey import assert_accessible, sign_in


def _first_official(page: Page) -> None:
    page.goto("/manage/officials?q=Nowak")
    page.get_by_role("link", name="Tomasz Nowak").click()
    expect(page.get_by_role("heading", name="Add a posting")).to_be_visible()


def _fill_date(page: Page, legend: str, when) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(when.day))
    group.get_by_label("Month").fill(str(when.month))
    group.get_by_label("Year").fill(str(when.year))


def test_the_country_autocomplete_enhances_the_select_with_javascript(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    _first_official(page)
    country = page.locator("input#country.autocomplete__input")
    expect(country).to_be_visible()
    expect(page.locator("select#country-select")).to_be_hidden()
    assert_accessible(page)
    country.fill("yem")
    option = page.get_by_role("option", name="Yemen")
    expect(option).to_be_visible()
    expect(page.get_by_role("option", name="Antarctica")).to_have_count(0)
    option.click()
    expect(country).to_have_value("Yemen")
    page.get_by_label("Post", exact=True).fill("British Embassy Aden")
    start = datetime.now(UTC).date() + timedelta(days=45)
    _fill_date(page, "Start date", start)
    page.get_by_role("button", name="Add posting").click()
    postings = page.locator("table", has=page.locator("caption", has_text="Postings"))
    expect(postings).to_contain_text("British Embassy Aden")
    expect(postings).to_contain_text("Yemen")
    expect(postings).to_contain_text(start.strftime("%-d %B %Y"))

    # A half-typed date: GOV.UK's message, the summary links to the box to correct, the autocomplete still works.
    page.locator("input#country").fill("Sud")
    page.get_by_role("option", name="Sudan", exact=True).click()
    page.get_by_label("Post", exact=True).fill("British Embassy Khartoum")
    page.get_by_role("group", name="Start date").get_by_label("Day").fill("12")
    page.get_by_role("group", name="Start date").get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Add posting").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Start date must include a month")
    expect(page.locator("input#country")).to_have_value("Sudan")
    summary.get_by_role("link", name="Start date must include a month").click()
    expect(page.locator("#start_on-month")).to_be_focused()
    assert_accessible(page)
    context.close()


def test_the_country_select_works_without_javascript(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk", javascript=False)
    _first_official(page)
    select = page.locator("select#country")
    expect(select).to_be_visible()
    assert select.locator("option", has_text="Antarctica").count() == 0
    select.select_option(label="Democratic Republic of the Congo")
    page.get_by_label("Post", exact=True).fill("British Embassy Kinshasa")
    _fill_date(page, "Start date", datetime.now(UTC).date() + timedelta(days=90))
    page.get_by_role("button", name="Add posting").click()
    postings = page.locator("table", has=page.locator("caption", has_text="Postings"))
    expect(postings).to_contain_text("British Embassy Kinshasa")
    expect(postings).to_contain_text("Democratic Republic of the Congo")
    context.close()


def test_the_dashboard_filter_takes_a_date_and_a_country_by_autocomplete(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    page.goto("/compliance/officials?status=assigned")
    form = page.locator("form.app-filter")
    form.locator("input#country").fill("Sud")
    page.get_by_role("option", name="Sudan", exact=True).click()
    as_at = form.get_by_role("group", name="As at")
    as_at.get_by_label("Day").fill("31")
    as_at.get_by_label("Month").fill("4")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("As-at date must be a real date")
    assert_accessible(page)
    as_at = page.locator("form.app-filter").get_by_role("group", name="As at")
    as_at.get_by_label("Day").fill("30")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"country=SD.*on-day=30&on-month=4"))
    # Emptying the country field means all countries again.
    page.locator("form.app-filter input#country").fill("")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"country=&"))
    context.close()
