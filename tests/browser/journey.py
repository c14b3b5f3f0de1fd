"""Drive a module in the browser the way a learner would, checking accessibility on every page."""

from __future__ import annotations

from functools import cache

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.content.model import Module

DEMO_PASSWORD = "demo-password"
_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core finds no violations (axe runs as a script, so only in contexts with JavaScript on)."""
    results = _axe.run(page)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def sign_in(page: Page, email: str, *, javascript: bool = True) -> None:
    page.goto("/sign-in")
    if javascript:
        assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()  # the email first; no provider serves it, so a password
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with your password")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your training")


def best_path(module: Module) -> list[str]:
    """The choice ids of the highest-scoring path from the start to an ending."""

    @cache
    def best(scene_id: str) -> tuple[int, tuple[str, ...]]:
        scene = module.scene(scene_id)
        if scene.is_end:
            return 0, ()
        options = []
        for choice in scene.choices:
            score, rest = best(choice.target)
            options.append((choice.score + score, (choice.id, *rest)))
        return max(options)

    return list(best(module.start)[1])


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def play_to_result(page: Page, module: Module, *, javascript: bool) -> None:
    """From the module's introduction, take the best path, answer every question correctly and reach the result."""
    check = assert_accessible if javascript else (lambda _page: None)
    page.goto(f"/modules/{module.id}")
    check(page)
    page.get_by_role("button", name="Start module").click()
    for choice_id in best_path(module):
        scene = module.scene(page.locator("input[name=scene]").input_value())
        expect(page.get_by_role("heading", level=1)).to_have_text(scene.title)
        check(page)
        if javascript:
            page.evaluate("window.__sameDocument = true")
        page.locator(f"input[name=choice][value='{choice_id}']").check()
        page.get_by_role("button", name="Confirm your choice").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Feedback on your decision")
        if javascript:
            # htmx swapped the scene in place (no page load) and moved focus to the new heading.
            assert page.evaluate("window.__sameDocument === true")
            assert page.evaluate("document.activeElement.tagName") == "H1"
            assert page.title().startswith("Feedback on your decision")
        check(page)
        page.get_by_role("button", name="Continue").click()
    ending = module.scene(_last_target(module))
    expect(page.get_by_role("heading", level=1)).to_have_text(ending.title)
    check(page)
    if module.questions:
        page.get_by_role("button", name="Continue to the knowledge check").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(module.check_title or "Knowledge check")
        check(page)
        for question in module.questions:
            for key in sorted(question.correct_keys):
                page.locator(f"input[name='q-{question.id}'][value='{key}']").check()
        page.get_by_role("button", name="Submit your answers").click()
    else:
        page.get_by_role("button", name="See your result").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("You passed")
    check(page)


def _last_target(module: Module) -> str:
    scene = module.scene(module.start)
    for choice_id in best_path(module):
        scene = module.scene(scene.choice(choice_id).target)
    return scene.id
