"""The learner's journey over HTTP, without JavaScript and with htmx."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import Attempt, AttemptEvent, Completion
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_official


@pytest.fixture
def learner(sign_in_as):
    return sign_in_as()


def form_fields(html: str, action_suffix: str) -> dict:
    """The hidden fields of the form whose action ends with `action_suffix` (tests/web/test_busy_database.py uses it)."""
    return hidden_fields(html, action_ending=action_suffix)


def start(client) -> str:
    page = client.get("/modules/checkpoint-visit")
    response = client.post("/modules/checkpoint-visit/attempts", data=hidden_fields(page.text, action_ending="/attempts"))
    assert response.status_code == 303
    return response.headers["location"]


def choose(client, url: str, choice: str, **headers):
    fields = hidden_fields(client.get(url).text, action_ending="/choice")
    return client.post(url + "/choice", data={**fields, "choice": choice}, headers=headers)


def proceed(client, url: str):
    fields = hidden_fields(client.get(url).text, action_ending="/continue")
    return client.post(url + "/continue", data=fields)


def test_training_lists_modules_with_status_and_time(client, learner):
    page = check_page(client.get("/training").text)
    row = page.select_one("tbody tr")
    assert "A visit to the checkpoint" in row.text
    assert "1 minutes" in row.text and "Not started" in row.text


def test_whole_journey_without_javascript(client, learner, session):
    url = start(client)
    page = check_page(client.get(url).text)
    assert page.h1.text.strip() == "Reports from the north"
    assert choose(client, url, "report").status_code == 303
    page = check_page(client.get(url).text)
    assert page.h1.text.strip() == "Feedback on your decision"
    assert "gives London the early sign" in page.select_one(".app-feedback").text
    proceed(client, url)
    choose(client, url, "ask-un")
    proceed(client, url)
    page = check_page(client.get(url).text)
    assert page.h1.text.strip() == "London acts early" and "Good outcome" in page.text
    proceed(client, url)
    page = check_page(client.get(url).text)
    assert page.h1.text.strip() == "Knowledge check"
    fields = hidden_fields(client.get(url).text, action_ending="/answers")
    response = client.post(url + "/answers", data={**fields, "q-q-prep": "2", "q-q-signs": ["1", "2"]})
    assert response.status_code == 303 and response.headers["location"] == url + "/result"
    page = check_page(client.get(url + "/result").text)
    assert page.h1.text.strip().startswith("You passed")
    assert "100%" in page.text and "8 out of 8" in page.text
    assert "RF7 Preparatory action" in page.text or "RF7" in page.text
    reviews = [h.text for h in page.select(".app-choice-review h3")]
    assert reviews[:2] == ["1. Reports from the north", "2. The desk asks for corroboration"]
    assert session.exec(select(Completion)).one().score == 8
    listing = check_page(client.get("/training").text)
    assert "Passed" in listing.select_one("tbody tr").text


def test_failing_shows_the_pass_mark_and_offers_a_retake(client, learner):
    url = start(client)
    for choice in ("wait", "late-report"):
        choose(client, url, choice)
        proceed(client, url)
    proceed(client, url)
    fields = hidden_fields(client.get(url).text, action_ending="/answers")
    client.post(url + "/answers", data={**fields, "q-q-prep": "1", "q-q-signs": "3"})
    page = check_page(client.get(url + "/result").text)
    assert page.h1.text.strip().startswith("You did not pass")
    assert "You need 70% to pass" in page.text and "The right answer" in page.text
    retake = client.post("/modules/checkpoint-visit/attempts", data=hidden_fields(client.get(url + "/result").text, action_ending="/attempts"))
    assert retake.headers["location"] != url


def test_leaving_and_coming_back_resumes(client, learner):
    url = start(client)
    choose(client, url, "report")
    html = client.get("/modules/checkpoint-visit").text
    assert "Continue where you left off" in check_page(html).text
    again = client.post("/modules/checkpoint-visit/attempts", data=hidden_fields(html, action_ending="/attempts"))
    assert again.headers["location"] == url
    assert check_page(client.get(url).text).h1.text.strip() == "Feedback on your decision"


def test_double_submit_records_once_and_shows_the_current_step(client, learner, session):
    url = start(client)
    fields = hidden_fields(client.get(url).text, action_ending="/choice")
    first = client.post(url + "/choice", data={**fields, "choice": "report"})
    second = client.post(url + "/choice", data={**fields, "choice": "wait"})
    assert first.status_code == second.status_code == 303
    choices = session.exec(select(AttemptEvent).where(AttemptEvent.kind == "choice-made")).all()
    assert [c.choice_id for c in choices] == ["report"]
    assert check_page(client.get(url).text).h1.text.strip() == "Feedback on your decision"


def test_missing_choice_is_a_clear_error(client, learner):
    url = start(client)
    fields = hidden_fields(client.get(url).text, action_ending="/choice")
    response = client.post(url + "/choice", data=fields)
    assert response.status_code == 422
    page = check_page(response.text)
    assert page.select_one(".govuk-error-summary a")["href"] == "#choice"
    assert "Select what you would do" in page.select_one(".govuk-error-message").text


def test_unanswered_questions_keep_the_answers_given(client, learner):
    url = start(client)
    for choice in ("report", "ask-un"):
        choose(client, url, choice)
        proceed(client, url)
    proceed(client, url)
    fields = hidden_fields(client.get(url).text, action_ending="/answers")
    response = client.post(url + "/answers", data={**fields, "q-q-prep": "2"})
    assert response.status_code == 422
    page = check_page(response.text)
    assert page.select_one(".govuk-error-summary a")["href"] == "#q-q-signs"
    assert page.select_one("input[name=q-q-prep][value='2']").has_attr("checked")


def test_htmx_gets_only_the_player_fragment(client, learner):
    url = start(client)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.headers["vary"] == "HX-Request"
    assert response.text.lstrip().startswith('<div id="player"') and "<html" not in response.text
    page = BeautifulSoup(response.text, "html5lib")
    assert page.select_one("#player")["data-page-title"].startswith("Reports from the north")
    full = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full.text


def test_another_learner_cannot_see_or_play_an_attempt(client, learner, session):
    url = start(client)
    choose(client, url, "report")
    fields = hidden_fields(client.get("/training").text, "/sign-out")
    client.post("/sign-out", data=fields)
    intruder = make_official(session)
    client.sign_in(intruder.email, PASSWORD)
    assert client.get(url).status_code == 404
    assert client.get(url + "/result").status_code == 404
    token = client.csrf_token("/training")
    assert client.post(url + "/continue", data={"csrf_token": token, "step": "1"}).status_code == 404
    attempt = session.exec(select(Attempt)).one()
    session.refresh(attempt)
    assert attempt.step == 1


def test_choice_with_a_bad_csrf_token_changes_nothing(client, learner, session):
    url = start(client)
    fields = hidden_fields(client.get(url).text, action_ending="/choice")
    response = client.post(url + "/choice", data={**fields, "csrf_token": "wrong", "choice": "report"})
    assert response.status_code == 403
    assert not session.exec(select(AttemptEvent).where(AttemptEvent.kind == "choice-made")).all()


def test_unknown_module_and_attempt_are_404_pages(client, learner):
    for url in ("/modules/no-such-module", "/attempts/999999", "/attempts/abc"):
        response = client.get(url)
        assert response.status_code in (404, 422)
    page = check_page(client.get("/modules/no-such-module").text)
    assert page.h1.text.strip() == "Page not found"


def test_scene_text_is_rendered_from_markdown_and_escaped_in_titles(client, learner):
    url = start(client)
    page = check_page(client.get(url).text)
    assert page.select_one(".app-scene em").text == "identity checks"
    assert not re.search(r"<script", client.get(url).text.split("</main>")[0].split("<main")[1])


def play_to_the_check(client, *choices: str) -> str:
    url = start(client)
    for choice in choices:
        choose(client, url, choice)
        proceed(client, url)
    proceed(client, url)
    return url


def answer(client, url: str, **answers):
    fields = hidden_fields(client.get(url).text, action_ending="/answers")
    return client.post(url + "/answers", data={**fields, **{f"q-{q.replace('_', '-')}": a for q, a in answers.items()}})


def test_select_all_that_apply_is_said_once_with_its_all_or_nothing_rule_before_answering(client, learner):
    url = play_to_the_check(client, "report", "ask-un")
    page = check_page(client.get(url).text)
    signs = page.select_one("input[name=q-q-signs]").find_parent("fieldset")
    hint = signs.select_one(".govuk-hint").get_text(" ", strip=True)
    assert "only if you select every option that applies and none that does not" in hint
    assert page.get_text().count("Select all that apply") == 1  # one select-all question, said once
    assert page.get_text().count("What do you do?") == 0  # no scene legend on the knowledge check
    single = page.select_one("input[name=q-q-prep]").find_parent("fieldset")
    assert "Select all" not in single.get_text()


def test_the_result_judges_each_option_of_a_select_all_question_without_contradiction(client, learner):
    url = play_to_the_check(client, "report", "ask-un")
    answer(client, url, q_prep="1", q_signs="1")  # one of the two signs that apply, and nothing else
    page = check_page(client.get(url + "/result").text)
    signs = next(r for r in page.select(".app-choice-review") if "warning signs" in r.h3.text)
    assert signs.select_one(".govuk-tag").text == "Not correct"
    assert "You selected 1 of the 2 that apply" in " ".join(signs.get_text().split())
    verdicts = {li.select_one("p").get_text(" ", strip=True).split(":")[0]: li for li in signs.select("li")}
    assert set(verdicts) == {"You selected this, rightly", "You did not select this, but it applies",
                             "You rightly did not select this"}
    assert "Identity checks" in verdicts["You selected this, rightly"].text
    assert "Dehumanising speech" in verdicts["You did not select this, but it applies"].text
    assert "public holiday" in verdicts["You rightly did not select this"].text
    prep = next(r for r in page.select(".app-choice-review") if "preparatory action" in r.h3.text)
    assert sorted(li.p.get_text(" ", strip=True) for li in prep.select("li")) == [  # in the attempt's order
        "The right answer: RF7 Preparatory action", "Your answer, which is not right: RF1 Armed conflict or instability"]


def test_the_result_leads_with_the_outcome_then_decisions_then_the_risk_factors_met_collapsed(
    client, learner, test_library, monkeypatch
):
    from app import PROJECT_ROOT
    from app.content import load_risk_factors

    monkeypatch.setattr(test_library, "risk_factors", load_risk_factors(PROJECT_ROOT / "modules" / "risk-factors.yaml"))
    url = play_to_the_check(client, "report", "ask-un")
    answer(client, url, q_prep="2", q_signs=["1", "2"])
    page = check_page(client.get(url + "/result").text)
    main = page.select_one("main")
    order = [el.get_text(" ", strip=True) for el in main.select("h1, h2, summary")]
    assert order[0].startswith("You passed")
    assert [t for t in order[1:] if not t.startswith("Risk factors")] == ["Your decisions", "Your answers"]
    assert order[-1] == "Risk factors you met in this module (2)"
    details = main.select_one("details.govuk-details")
    assert details is not None and not details.has_attr("open")  # collapsed
    codes = [dt.get_text(" ", strip=True).split()[0] for dt in details.select("dt")]
    assert codes == ["RF7", "RF9"]  # met on this path and in the questions; RF1 (the `wait` path) was not
    assert "Good outcome" in main.select_one("p:-soup-contains('Your ending')").text


def test_the_player_says_which_decision_of_how_many(client, learner):
    url = start(client)
    assert check_page(client.get(url).text).select_one(".app-progress").text == "Decision 1 of 2"
    choose(client, url, "report")
    proceed(client, url)
    assert check_page(client.get(url).text).select_one(".app-progress").text == "Decision 2 of 2"


def test_a_failed_required_module_reads_failed_on_your_training_and_on_its_page(client, sign_in_as, session):
    from datetime import timedelta

    from app.clock import today
    from app.models import Assignment
    from tests.factories import make_requirement

    official = sign_in_as()
    requirement = make_requirement(session)
    session.add(Assignment(official_id=official.id, requirement_id=requirement.id, assigned_on=today() - timedelta(days=40),
                           due_on=today() - timedelta(days=10), reason="You are posted to Norvale."))
    session.commit()

    def statuses() -> tuple[str, str, str]:
        training = check_page(client.get("/training").text)
        row = training.find("caption", string="Required training").find_parent("table").select_one("tbody tr")
        cells = row.select("td")
        module = check_page(client.get("/modules/checkpoint-visit").text)
        facts = {dt.get_text(strip=True): dd for dt, dd in zip(module.select("dt"), module.select("dd"))}
        return cells[2].select_one(".govuk-tag").text.strip(), facts["Status"].get_text(strip=True), cells[1].get_text(" ", strip=True)

    status, on_its_page, due = statuses()
    assert status == on_its_page == "Not started" and "Overdue" in due
    url = play_to_the_check(client, "wait", "late-report")
    answer(client, url, q_prep="1", q_signs="3")
    status, on_its_page, due = statuses()
    assert status == on_its_page == "Failed", "Your training said 'To do' after a fail while the module said 'Failed'"
    assert "Overdue" in due
