"""Printing a result in Chromium: the print stylesheet hides the navigation, sign-out, banner, footer and
buttons, and keeps the result itself (outcome, decisions, answers, the risk factors met) on the page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from app import PROJECT_ROOT
from app.content import load_library
from tests.browser.journey import best_path, sign_in

LIBRARY = load_library(PROJECT_ROOT / "modules")


def test_a_printed_result_has_no_navigation_or_buttons(browser: Browser, base_url):
    # The last module with a knowledge check (tests/browser/test_learner_journey.py plays the first two).
    module = sorted((m for m in LIBRARY.modules.values() if m.questions), key=lambda m: m.id)[-1]
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "learner@example.gov.uk")
    page.goto(f"/modules/{module.id}")
    page.locator("form[action$='/attempts'] button").click()
    for choice_id in best_path(module):
        page.locator(f"input[name=choice][value='{choice_id}']").check()
        page.get_by_role("button", name="Confirm your choice").click()
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue to the knowledge check").click()
    for question in module.questions:
        for key in sorted(question.correct_keys):
            page.locator(f"input[name='q-{question.id}'][value='{key}']").check()
    page.get_by_role("button", name="Submit your answers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("You passed")

    navigation = page.get_by_role("navigation", name="Main menu")
    sign_out = page.get_by_role("button", name="Sign out")
    back = page.get_by_role("link", name="Back to your training")
    footer = page.locator("footer")
    risk_factors = page.locator(".app-risk-factors .govuk-summary-list")
    for shown in (navigation, sign_out, back, footer):
        expect(shown).to_be_visible()
    expect(risk_factors).to_be_hidden()  # collapsed on screen

    page.emulate_media(media="print")
    for hidden in (navigation, sign_out, back, footer, page.locator(".govuk-phase-banner")):
        expect(hidden).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Your decisions")).to_be_visible()
    expect(page.get_by_role("heading", name="Your answers")).to_be_visible()
    expect(risk_factors).to_be_visible()  # printed open
    main_width = page.locator("main .govuk-grid-column-two-thirds").bounding_box()["width"]
    assert main_width > 0.9 * page.locator("main").bounding_box()["width"]  # the whole width of the paper
    assert len(page.pdf()) > 0  # Chromium lays the page out for print without error

    page.emulate_media(media="screen")
    expect(navigation).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 800})  # and the result reads at 375 px without sideways scroll
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    context.close()
