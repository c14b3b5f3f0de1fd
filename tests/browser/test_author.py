"""An author looks over the real modules in Chromium: overview, module, preview, scene map, analysis, coverage."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from app import PROJECT_ROOT
from app.content import load_library
from tests.browser.journey import assert_accessible, heading, sign_in

LIBRARY = load_library(PROJECT_ROOT / "modules")
MODULE = sorted(LIBRARY.modules.values(), key=lambda m: m.id)[0]


def test_an_author_previews_maps_and_analyses_a_module(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "author@example.gov.uk")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Authoring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authoring")
    expect(page.locator("tr", has_text=MODULE.title)).to_contain_text("No problems")
    assert_accessible(page)

    page.get_by_role("link", name=MODULE.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(MODULE.title)
    assert_accessible(page)

    page.get_by_role("link", name="Preview the module").click()
    expect(page.get_by_text("Preview — nothing you do here is recorded")).to_be_visible()
    assert_accessible(page)
    start = MODULE.scene(MODULE.start)
    page.get_by_role("link", name=start.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(start.title)
    assert_accessible(page)
    choice = start.choices[0]
    page.locator(f"input[name=choice][value='{choice.id}']").check()
    page.get_by_role("button", name="Show feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on your decision")
    expect(page.get_by_text("Preview — nothing you do here is recorded")).to_be_visible()
    assert_accessible(page)
    target = MODULE.scene(choice.target)
    page.get_by_role("link", name=f"Continue to {target.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(target.title)

    page.goto(f"/author/modules/{MODULE.id}/preview/check")
    expect(page.get_by_role("heading", level=1)).to_have_text(MODULE.check_title or "Knowledge check")
    assert_accessible(page)

    page.goto(f"/author/modules/{MODULE.id}")
    page.get_by_role("link", name="Scene map").click()
    expect(page.get_by_role("img", name=f"Scene map of {MODULE.title}")).to_be_visible()
    assert heading(page) == f"Scene map: {MODULE.title}"
    assert_accessible(page)

    page.goto(f"/author/modules/{MODULE.id}")
    page.get_by_role("link", name="Item analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Item analysis: {MODULE.title}")
    assert_accessible(page)
    page.get_by_role("group", name="Attempts started from").get_by_label("Month").fill("13")
    page.get_by_role("group", name="Attempts started from").get_by_label("Day").fill("1")
    page.get_by_role("group", name="Attempts started from").get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("From date must be a real date")
    assert_accessible(page)

    page.goto("/author/coverage")
    expect(page.get_by_role("heading", level=1)).to_have_text("Risk factor coverage")
    assert_accessible(page)
    context.close()


def test_preview_works_with_javascript_off(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "author@example.gov.uk", javascript=False)
    start = MODULE.scene(MODULE.start)
    page.goto(f"/author/modules/{MODULE.id}/preview/scenes/{start.id}")
    page.get_by_role("button", name="Show feedback").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a choice to see its feedback")
    page.locator(f"input[name=choice][value='{start.choices[-1].id}']").check()
    page.get_by_role("button", name="Show feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on your decision")
    context.close()
