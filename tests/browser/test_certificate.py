"""A certificate in Chromium: reached from a pass's result through Your record; axe clean; printed, it keeps
the certificate (name, module, code) and hides the navigation, sign-out, banner, footer and links; it reads at
375 px without sideways scroll; its code checks at /verify."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from app import PROJECT_ROOT
from app.content import load_library
from tests.browser.journey import assert_accessible, play_to_result, sign_in

LIBRARY = load_library(PROJECT_ROOT / "modules")
_BY_ID = sorted(LIBRARY.modules.values(), key=lambda m: m.id)
# A module the other browser tests do not play (they take the first and last by id, the first two and the last
# with a knowledge check, and the foundation module), so their attempts and this one never meet.
_TAKEN = {_BY_ID[0].id, _BY_ID[-1].id, "recognising-atrocity-risk",
          *(m.id for m in sorted(_BY_ID, key=lambda m: not m.questions)[:2]),
          sorted((m for m in _BY_ID if m.questions), key=lambda m: m.id)[-1].id}
MODULE = next(m for m in _BY_ID if m.id not in _TAKEN)


def test_a_printed_certificate_has_no_navigation_and_its_code_verifies(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "author@example.gov.uk")
    play_to_result(page, MODULE, javascript=False)
    page.locator("main").get_by_role("link", name="your record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your record")
    assert_accessible(page)
    page.get_by_role("link", name=f"View the certificate for {MODULE.title}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")
    assert_accessible(page)
    certificate = page.locator(".app-certificate")
    code = page.locator(".app-certificate__code").inner_text().strip()
    assert len(code) == 24
    navigation = page.get_by_role("navigation", name="Main menu")
    hidden_on_paper = (navigation, page.get_by_role("button", name="Sign out"), page.locator("footer"),
                       page.locator(".govuk-phase-banner"), page.get_by_role("link", name="Back to your record"),
                       page.get_by_role("link", name="Download the certificate as a PDF"))
    for shown in hidden_on_paper:
        expect(shown).to_be_visible()

    page.emulate_media(media="print")
    for hidden in hidden_on_paper:
        expect(hidden).to_be_hidden()
    expect(certificate).to_be_visible()
    expect(certificate).to_contain_text(MODULE.title)
    expect(certificate).to_contain_text(code)
    assert certificate.bounding_box()["width"] > 0.9 * page.locator("main").bounding_box()["width"]
    assert len(page.pdf()) > 0  # Chromium lays the page out for print without error

    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    page.get_by_role("link", name="Check this certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Certificate {code}")
    expect(page.locator("main .govuk-tag")).to_have_text("Current")
    assert_accessible(page)
    context.close()
