"""In Chromium with JavaScript on: a learner reaches a harmful ending, reads why the attempt cannot pass
(axe on the page), goes back to the decision that led there and chooses again."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from app import PROJECT_ROOT
from app.content import load_library
from app.content.model import Module
from tests.browser.journey import assert_accessible, sign_in

LIBRARY = load_library(PROJECT_ROOT / "modules")


def path_to_poor_ending(module: Module) -> list[str]:
    """The choice ids of the shortest path from the start to a poor ending."""
    frontier = [(module.start, [])]
    while frontier:
        scene_id, path = frontier.pop(0)
        scene = module.scene(scene_id)
        if scene.is_end:
            if scene.outcome == "poor":
                return path
            continue
        frontier += [(choice.target, [*path, choice.id]) for choice in scene.choices]
    raise AssertionError(f"{module.id} has no poor ending")


def test_a_learner_goes_back_from_a_harmful_ending(browser: Browser, base_url):
    module = LIBRARY.get("recognising-atrocity-risk")
    path = path_to_poor_ending(module)
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    sign_in(page, "author@example.gov.uk")
    page.goto(f"/modules/{module.id}")
    page.get_by_role("button", name="Start module").click()
    for choice_id in path:
        page.locator(f"input[name=choice][value='{choice_id}']").check()
        page.get_by_role("button", name="Confirm your choice").click()
        page.get_by_role("button", name="Continue").click()
    decision = module.scene(next(s.id for s in module.scenes.values() if s.choice(path[-1])))
    expect(page.get_by_text("this attempt cannot pass")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Go back and choose again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(decision.title)
    assert page.evaluate("document.activeElement.tagName") == "H1"
    assert_accessible(page)
    context.close()
