"""A learner signs in and completes a real module in Chromium with JavaScript on (axe on every page) and a
different one with JavaScript off. That every module of the library can be played to a pass is proved
in-process, much faster, by tests/web/test_library_journeys.py."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from app import PROJECT_ROOT
from app.content import load_library
from tests.browser.journey import assert_accessible, heading, play_to_result, sign_in

LIBRARY = load_library(PROJECT_ROOT / "modules")
MODULES = sorted(LIBRARY.modules.values(), key=lambda m: m.id)
# Two different modules, those with a knowledge check first (sorted is stable, so the choice is by id).
WITH_JAVASCRIPT, WITHOUT_JAVASCRIPT = sorted(MODULES, key=lambda m: not m.questions)[:2]


def test_the_real_library_has_modules_to_take():
    assert len(MODULES) >= 2, [str(d) for d in LIBRARY.errors]
    assert WITH_JAVASCRIPT.id != WITHOUT_JAVASCRIPT.id


def test_complete_a_module_with_javascript_on(browser: Browser, base_url):
    module = WITH_JAVASCRIPT
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "learner@example.gov.uk")
    play_to_result(page, module, javascript=True)
    page.get_by_role("link", name="Back to your training").click()
    row = page.locator("tr", has_text=module.title)
    expect(row).to_contain_text("Passed")
    assert_accessible(page)
    context.close()


def test_complete_a_module_with_javascript_off(browser: Browser, base_url):
    module = WITHOUT_JAVASCRIPT
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "manager@example.gov.uk", javascript=False)
    play_to_result(page, module, javascript=False)
    context.close()


def test_resume_after_closing_the_page_on_another_device(browser: Browser, base_url):
    module = MODULES[0]
    first = browser.new_context(base_url=base_url)
    page = first.new_page()
    sign_in(page, "author@example.gov.uk")
    page.goto(f"/modules/{module.id}")
    page.get_by_role("button", name="Start module").click()
    first_choice = module.scene(module.start).choices[0]
    page.locator(f"input[name=choice][value='{first_choice.id}']").check()
    page.get_by_role("button", name="Confirm your choice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on your decision")
    page.close()
    first.close()

    second = browser.new_context(base_url=base_url)
    page = second.new_page()
    sign_in(page, "author@example.gov.uk")
    expect(page.locator("tr", has_text=module.title)).to_contain_text("In progress")
    page.get_by_role("link", name=module.title).click()
    page.get_by_role("button", name="Continue where you left off").click()
    assert heading(page) == "Feedback on your decision"
    expect(page.locator(".app-feedback")).to_be_visible()
    second.close()


def test_a_missing_choice_shows_an_accessible_error_with_javascript(browser: Browser, base_url):
    module = MODULES[-1]
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "dept-admin@example.gov.uk")
    page.goto(f"/modules/{module.id}")
    page.get_by_role("button", name="Start module").click()
    page.get_by_role("button", name="Confirm your choice").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what you would do")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    context.close()


def test_sign_out_and_static_pages_are_accessible(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "central-admin@example.gov.uk")
    page.goto("/accessibility")
    assert_accessible(page)
    page.goto("/no-such-page")
    assert heading(page) == "Page not found"
    assert_accessible(page)
    page.goto("/training")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    assert_accessible(page)
    context.close()
