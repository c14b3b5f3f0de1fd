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
    assert "You need 70% to pass" in page.text and "Correct answer" in page.text
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
