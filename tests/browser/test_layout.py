"""Every role walks every page it can reach, at 1,280 px and at 375 px: nothing scrolls sideways, axe finds nothing.

The server runs on a database seeded exactly as `make run` seeds it (`aptrain seed --demo`: the demo
population with its history), so tables are as long and names as wide as a real department's. Each
role starts at its home page and follows the links it is shown (one page per route, downloads and
sign-out left out), as an assessor would. WCAG 2.2 1.4.10 (reflow): content must not need scrolling
in two directions; a wide table scrolls inside its own container instead of the page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from app.cli import upgrade_database
from tests.browser.journey import assert_accessible, sign_in
from tests.conftest import PG_URL, TEST_SECRET, create_postgres_database, drop_postgres_database
from tests.live import live_server as start_server

ROLES = (
    "learner@example.gov.uk",
    "manager@example.gov.uk",
    "dept-admin@example.gov.uk",
    "central-admin@example.gov.uk",
    "author@example.gov.uk",
)
WIDTHS = (1280, 375)
MAX_PAGES_PER_ROLE = 80
SKIP = re.compile(r"^/(sign-out|static/|api/)|[./](csv|xlsx|pdf|json)$|/export")

# Elements that overflow the viewport, unless a scrolling container (or a hidden one) holds them.
OVERFLOWING = """
() => {
  const width = document.documentElement.clientWidth;
  const held = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
    }
    return false;
  };
  const main = document.querySelector('main');
  const container = main && main.closest('.govuk-width-container');
  // Grid rows reach half a gutter (15 px) past the width container by design.
  const mainRight = container ? container.getBoundingClientRect().right + 15 : width;
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    // Inside <main>, content must also stay within the page's column (the GOV.UK width container).
    const limit = main && main.contains(el) ? Math.min(width, mainRight) : width;
    if (box.width === 0 || box.right <= limit + 1 || held(el)) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    found.push(`${name} ends at ${Math.round(box.right)} px`);
    if (found.length >= 3) break;
  }
  return {scroll: document.documentElement.scrollWidth, width, found};
}
"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A server on its own database, migrated and seeded by the real `aptrain seed --demo` command."""
    if PG_URL:
        database_url = create_postgres_database(PG_URL, f"layout{os.getpid()}")
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('layout') / 'demo.db'}"
    upgrade_database(database_url)
    env = {**os.environ, "APTRAIN_ENVIRONMENT": "test", "APTRAIN_SECRET_KEY": TEST_SECRET,
           "APTRAIN_DATABASE_URL": database_url}
    seeded = subprocess.run([sys.executable, "-m", "app.cli", "seed", "--demo"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with start_server(database_url, tmp_path_factory.mktemp("layout-server") / "server.log") as server:
        yield server.base_url
    if PG_URL:
        drop_postgres_database(PG_URL, database_url)


def route_of(path: str) -> str:
    """One page per route: numbers, and module ids after /modules/, stand for any."""
    path = re.sub(r"/modules/[^/]+", "/modules/{module}", path)
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def links(page: Page, origin: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def check_widths(page: Page) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        measured = page.evaluate(OVERFLOWING)
        if measured["scroll"] > measured["width"] + 1 or measured["found"]:
            where = "; ".join(measured["found"]) or "the page"
            problems.append(f"{urlsplit(page.url).path} at {width} px scrolls to {measured['scroll']} px: {where}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return problems


@pytest.mark.parametrize("email", ROLES, ids=lambda e: e.split("@")[0])
def test_every_page_a_role_reaches_fits_at_1280_and_375_px_and_passes_axe(browser: Browser, demo_server, email):
    context = browser.new_context(base_url=demo_server, viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    sign_in(page, email)
    origin = demo_server.rstrip("/")
    queue, seen_routes, visited, problems = ["/"], set(), [], []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.pop(0)
        route = route_of(urlsplit(path).path)
        if route in seen_routes:
            continue
        seen_routes.add(route)
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{email}: {path} answered {response and response.status}"
        landed = route_of(urlsplit(page.url).path)
        if landed != route and landed in seen_routes:
            continue  # a redirect to a page already checked
        seen_routes.add(landed)
        visited.append(path)
        problems += check_widths(page)
        assert_accessible(page)
        queue += [link for link in links(page, origin) if route_of(urlsplit(link).path) not in seen_routes]
    context.close()
    assert len(visited) >= 3, f"{email} reached only {visited}"
    assert not problems, f"{email}: of {len(visited)} pages, these scroll sideways:\n" + "\n".join(problems)
