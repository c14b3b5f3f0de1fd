"""The authors' pages over HTTP: who may see them, what they show, a preview that records nothing,
item analysis with suppression, the CSV and bad filters."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from app.content.library import load_library
from app.content.model import Diagnostic, Library
from app.models import Attempt, AttemptEvent, Completion, ModuleVersion
from tests.conftest import HtmlClient, check_page
from tests.factories import PASSWORD, make_official
from tests.unit.test_item_analysis import seed_population, seed_unrecorded

MODULE = "/author/modules/checkpoint-visit"
PAGES = [
    "/author",
    "/author/coverage",
    MODULE,
    MODULE + "/preview",
    MODULE + "/preview/scenes/start",
    MODULE + "/preview/scenes/start/feedback?choice=report",
    MODULE + "/preview/scenes/end-good",
    MODULE + "/preview/check",
    MODULE + "/map",
    MODULE + "/analysis",
]


@pytest.fixture
def author(sign_in_as):
    return sign_in_as("learner author")


@pytest.mark.parametrize("roles", ["learner author", "learner central-admin"])
def test_authors_and_central_admins_see_every_page(client, session, roles):
    official = make_official(session, roles=roles)
    client.sign_in(official.email, PASSWORD)
    for url in PAGES:
        response = client.get(url)  # HtmlClient checks each page's HTML
        assert response.status_code == 200, url
        assert "Authoring" in check_page(response.text).select_one(".govuk-service-navigation").text
    assert client.get(MODULE + "/analysis/csv").status_code == 200


def test_learners_are_refused_and_have_no_authoring_link(client, session):
    official = make_official(session, roles="learner manager")
    client.sign_in(official.email, PASSWORD)
    for url in [*PAGES, MODULE + "/analysis/csv"]:
        assert client.get(url).status_code == 403, url
    assert "Authoring" not in check_page(client.get("/training").text).select_one(".govuk-service-navigation").text


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in [*PAGES, MODULE + "/analysis/csv"]:
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), url


def test_unknown_modules_and_scenes_are_not_found(client, author):
    for url in ("/author/modules/nope", "/author/modules/nope/map", MODULE + "/preview/scenes/nope",
                "/author/modules/nope/analysis"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_overview_lists_modules_with_lint_status_and_failed_files(app, settings, test_library):
    from app.main import create_app

    broken = "/work/modules/broken.md"
    library = Library(
        modules=dict(test_library.modules),
        diagnostics=[
            *test_library.diagnostics,
            Diagnostic(broken, 12, "error", "unknown-target", "choice `x` leads to `#nowhere`"),
            Diagnostic("/work/modules/unreadable.md", 1, "error", "front-matter-missing", "no front matter"),
        ],
        risk_factors=test_library.risk_factors,
        rejected={broken: "broken-module", "/work/modules/unreadable.md": None},
    )
    other = create_app(settings, library=library)
    with TestClient(other, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        official = make_official_in(other)
        client.sign_in(official, PASSWORD)
        page = check_page(client.get("/author").text)
        rows = {r.select_one("td").get_text(" ", strip=True): r.get_text(" ", strip=True) for r in page.select("tbody tr")}
        visit = next(v for k, v in rows.items() if k.startswith("A visit to the checkpoint"))
        assert "1.2.0" in visit and "No problems" in visit
        assert "1 error — not served" in rows["broken-module broken-module"]
        assert "front-matter-missing" in page.text and "unreadable.md:1" in page.text
        module = check_page(client.get("/author/modules/broken-module").text)
        assert "broken.md:12" in module.text and "unknown-target" in module.text and "learners cannot take it" in module.text
    other.state.engine.dispose()


def test_a_broken_module_is_listed_by_its_front_matter_title_and_version(settings, test_library, tmp_path):
    """A file that fails after its front matter is listed by the title and version written there, not its id."""
    from app.main import create_app

    source = (Path(test_library.get("checkpoint-visit").path)).read_text(encoding="utf-8")
    broken = tmp_path / "broken.md"
    broken.write_text(source.replace("id: checkpoint-visit", "id: broken-visit").replace("(#end-good)", "(#nowhere)"),
                      encoding="utf-8")  # fmt: skip
    library = load_library(tmp_path)
    assert "broken-visit" not in library.modules and library.rejected == {str(broken): "broken-visit"}
    library.modules.update(test_library.modules)
    other = create_app(settings, library=library)
    with TestClient(other, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        client.sign_in(make_official_in(other), PASSWORD)
        page = check_page(client.get("/author").text)
        rows = [[td.get_text(" ", strip=True) for td in r.select("td")] for r in page.select("tbody tr")]
        row = next(r for r in rows if "broken-visit" in r[0])
        assert row[0] == "A visit to the checkpoint broken-visit" and row[1] == "1.2.0", row
        assert "Not known" not in page.text
        module = check_page(client.get("/author/modules/broken-visit").text)
        assert module.h1.get_text(strip=True) == "A visit to the checkpoint"
        assert "version 1.2.0" in module.text
    other.state.engine.dispose()


def make_official_in(app) -> str:
    from sqlmodel import Session

    with Session(app.state.engine) as session:
        return make_official(session, roles="author").email


def test_module_page_shows_its_facts_and_links(client, author, test_library):
    module = test_library.get("checkpoint-visit")
    page = check_page(client.get(MODULE).text)
    facts = {row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True) for row in page.select(".govuk-summary-list__row")}
    assert facts["Module id"] == "checkpoint-visit" and facts["Version"] == "1.2.0"
    assert facts["Content hash"] == module.content_hash[:12]
    assert facts["File"] == "tests/fixtures/library/checkpoint-visit.md"
    assert facts["Pass mark"] == "70%" and facts["Maximum score"] == "8 points"
    assert facts["Scenes"] == "5" and facts["Questions"] == "2" and "RF7" in facts["Risk factors"]
    links = {a["href"] for a in page.select("main a")}
    assert {MODULE + "/preview", MODULE + "/map", MODULE + "/analysis"} <= links


def _table_counts(session) -> dict[str, int]:
    return {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in (Attempt, AttemptEvent, Completion, ModuleVersion)}


def test_preview_walks_the_module_and_records_nothing(client, author, session):
    before = _table_counts(session)
    listing = check_page(client.get(MODULE + "/preview").text)
    assert "Preview — nothing you do here is recorded" in listing.text
    assert len([a for a in listing.select("main a") if "/preview/scenes/" in a["href"]]) == 5
    scene = check_page(client.get(MODULE + "/preview/scenes/corroborate").text)
    form = scene.select_one("main form")
    assert form["method"] == "get" and form["action"].endswith("/preview/scenes/corroborate/feedback")
    assert {i["value"] for i in form.select("input[name=choice]")} == {"ask-un", "send-name"}
    feedback = check_page(client.get(MODULE + "/preview/scenes/corroborate/feedback", params={"choice": "ask-un"}).text)
    assert "Preview — nothing you do here is recorded" in feedback.text
    assert "A second, independent source" in feedback.select_one(".app-feedback").text
    assert "2 points" in feedback.text and "RF9" in feedback.text
    assert feedback.find("a", string="Continue to London acts early")["href"] == MODULE + "/preview/scenes/end-good"
    ending = check_page(client.get(MODULE + "/preview/scenes/end-good").text)
    assert "Good outcome" in ending.text
    assert ending.find("a", string="Continue to the knowledge check")["href"] == MODULE + "/preview/check"
    check = check_page(client.get(MODULE + "/preview/check").text)
    assert "Preview — nothing you do here is recorded" in check.text
    assert [t.text.strip() for t in check.select("main .govuk-tag") if "Correct" in t.text] == ["Correct"] * 3 and "Instability is the setting" in check.text
    assert _table_counts(session) == before == {"Attempt": 0, "AttemptEvent": 0, "Completion": 0, "ModuleVersion": 0}


def test_preview_feedback_without_a_choice_is_an_error(client, author):
    response = client.get(MODULE + "/preview/scenes/start/feedback")
    assert response.status_code == 422
    page = check_page(response.text)
    assert page.title.text.startswith("Error: ")
    assert page.select_one(".govuk-error-summary a")["href"] == "#choice"
    assert client.get(MODULE + "/preview/scenes/start/feedback?choice=nope").status_code == 422


def test_scene_map_draws_an_accessible_svg_and_a_text_outline(client, author):
    page = check_page(client.get(MODULE + "/map").text)
    svg = page.select_one("svg")
    assert svg["role"] == "img"
    labelled = svg["aria-labelledby"].split()
    assert [page.find(id=i).name for i in labelled] == ["title", "desc"]
    assert len(svg.select("g.app-scene-map__node")) == 5
    assert svg.select_one(".app-scene-map__node--end-good") and svg.select_one(".app-scene-map__node--start")
    labels = [t.text for t in svg.select(".app-scene-map__label")]
    assert "report (3) RF7" in labels
    outline = page.select_one("main ol").get_text(" ", strip=True)
    assert "Reports from the north" in outline and "Ending: good outcome" in outline
    assert "Choice report leads to “The desk asks for corroboration”, score 3, risk factors RF7" in " ".join(outline.split())


def test_coverage_matrix(client, author):
    page = check_page(client.get("/author/coverage").text)
    table = page.select_one("table")
    assert table.caption.text.strip() == "Risk factors covered by each module"
    rows = {r.th.get_text(" ", strip=True).split()[0]: r for r in table.select("tbody tr")}
    assert list(rows) == [f"RF{n}" for n in range(1, 15)]
    rf7 = rows["RF7"].select("td")
    assert rf7[0].get_text(" ", strip=True) == "Yes RF7 in module A visit to the checkpoint: covered"
    assert rf7[-1].text.strip() == "1"
    assert "RF2 in module A visit to the checkpoint: not covered" in rows["RF2"].text and rows["RF2"].select("td")[-1].text == "0"


def test_analysis_shows_figures_and_suppresses_small_groups(client, author, session, test_library):
    seed_population(session, test_library.get("checkpoint-visit"), best=6, worst=1, unfinished=0)
    page = check_page(client.get(MODULE + "/analysis").text)
    facts = {row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True) for row in page.select(".govuk-summary-list__row")}
    assert facts == {
        "Learners who started": "7",
        "Attempts started": "7",
        "Finished attempts": "7",
        "Completion rate (finished of started)": "100%",
        "Passed": "6",
        "Failed": "Fewer than 5 learners",
        "Pass rate (passed of finished)": "86%",
        "Median time to finish": "4 min 0 s",
    }
    bands = {row.th.get_text(strip=True): row.td.get_text(strip=True) for row in page.select("caption:-soup-contains('Scores') ~ tbody tr")}
    assert bands["10–19%"] == "Fewer than 5 learners" and bands["90–100%"] == "6" and bands["50–59%"] == "0"
    assert "1" not in bands.values()  # the one fail is hidden in its band as it is in the overview
    captions = [c.get_text(" ", strip=True) for c in page.select("caption")]
    assert "Reports from the north Reached in 7 attempts by 7 learners" in captions
    assert "Three weeks later Reached by fewer than 5 learners" in captions
    details = page.select_one(".govuk-details").get_text(" ", strip=True)
    assert "What each figure counts" in details and "Attempts started counts every attempt" in details
    assert "first choice made there in each attempt that reached it" in details
    assert page.select_one("#unrecorded") is None  # every attempt here was played through the player
    text = page.select_one("main").get_text(" ", strip=True)
    assert "Official" not in text and "@example.gov.uk" not in text  # aggregates only: no one is named


def test_analysis_says_when_attempts_recorded_no_choices(client, author, session, test_library):
    module = test_library.get("checkpoint-visit")
    seed_population(session, module, best=5, worst=0, unfinished=0)
    seed_unrecorded(session, module, 6)
    page = check_page(client.get(MODULE + "/analysis").text)
    note = page.select_one("#unrecorded").get_text(" ", strip=True)
    assert note.startswith("6 finished attempts recorded no choices") and "not at the decisions" in note


def test_analysis_csv_matches_the_filters(client, author, session, test_library):
    seed_population(session, test_library.get("checkpoint-visit"), best=5, worst=5, unfinished=0)
    response = client.get(MODULE + "/analysis/csv", params={"version": "1.2.0"})
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="analysis-checkpoint-visit.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ["Module", "A visit to the checkpoint", "Attempts started", "10", "", ""] in rows
    assert ["Choices", "Reports from the north", "wait: Wait for more information before writing anything", "5", "50.0", ""] in rows
    later = client.get(MODULE + "/analysis/csv", params={"from": "2999-01-01"})
    rows = list(csv.reader(io.StringIO(later.text)))
    assert ["Module", "A visit to the checkpoint", "Attempts started", "0", "", ""] in rows


def test_bad_filters_answer_422_with_an_error_summary(client, author):
    for url in (MODULE + "/analysis", MODULE + "/analysis/csv"):
        response = client.get(url, params={"from": "2026-13-45", "to": "2026-01-01", "version": "9.9.9"})
        assert response.status_code == 422, url
        page = check_page(response.text)
        links = [a["href"] for a in page.select(".govuk-error-summary a")]
        assert links == ["#version", "#from-day"]
        assert "From date must be a real date" in page.select_one("#from-error").text
    response = client.get(MODULE + "/analysis", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 422 and "#to-day" in response.text
    # The form's own day / month / year boxes, with GOV.UK's messages; what was typed comes back.
    response = client.get(MODULE + "/analysis", params={"from-day": "1", "from-month": "", "from-year": "2026"})
    assert response.status_code == 422
    page = check_page(response.text)
    assert page.select_one(".govuk-error-summary a")["href"] == "#from-month"
    assert "From date must include a month" in page.text and page.select_one("#from-day")["value"] == "1"
    response = client.get(MODULE + "/analysis", params={"from-day": "1", "from-month": "2", "from-year": "2026",
                                                        "to-day": "31", "to-month": "3", "to-year": "2026"})
    assert response.status_code == 200 and check_page(response.text).select_one("#to-day")["value"] == "31"


def test_csv_neutralises_formulas_from_module_text(settings, session, test_library):
    from app.main import create_app

    module = test_library.get("checkpoint-visit")
    risky = replace(module, title="=cmd|' /C calc'!A0")
    library = Library(modules={module.id: risky}, risk_factors=test_library.risk_factors)
    seed_population(session, module)
    other = create_app(settings, library=library)
    with TestClient(other, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        client.sign_in(make_official_in(other), PASSWORD)
        rows = list(csv.reader(io.StringIO(client.get(MODULE + "/analysis/csv").text)))
    other.state.engine.dispose()
    assert rows[2][:4] == ["Module", "'=cmd|' /C calc'!A0", "Attempts started", "7"]
