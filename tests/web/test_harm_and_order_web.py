"""Through the plain HTML forms (JavaScript off): the order of choices is fixed per attempt and survives a
reload and a validation error; a poor ending offers the way back and never says "you passed"."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from tests.conftest import check_page
from tests.factories import PASSWORD, make_official


def _fields(html: str, suffix: str) -> dict:
    page = BeautifulSoup(html, "html5lib")
    form = next(f for f in page.find_all("form") if f.get("action", "").endswith(suffix))
    return {i["name"]: i.get("value", "") for i in form.find_all("input", {"type": "hidden"})}


def _choice_order(html: str) -> list[str]:
    return re.findall(r'name="choice"[^>]*value="([^"]+)"', html) or re.findall(r'value="([^"]+)"[^>]*name="choice"', html)


def _start(client) -> str:
    page = client.get("/modules/checkpoint-visit")
    response = client.post("/modules/checkpoint-visit/attempts", data=_fields(page.text, "/attempts"))
    assert response.status_code == 303
    return response.headers["location"]


def _choose(client, url: str, choice: str) -> None:
    page = client.get(url)
    assert client.post(url + "/choice", data={**_fields(page.text, "/choice"), "choice": choice}).status_code == 303
    page = client.get(url)
    assert client.post(url + "/continue", data=_fields(page.text, "/continue")).status_code == 303


def test_order_survives_reload_and_a_validation_error(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    url = _start(client)
    first = _choice_order(client.get(url).text)
    assert sorted(first) == ["report", "wait"]
    assert _choice_order(client.get(url).text) == first  # reload
    page = client.get(url)
    response = client.post(url + "/choice", data=_fields(page.text, "/choice"))  # nothing selected
    assert response.status_code == 422
    assert _choice_order(response.text) == first


def test_each_attempt_shows_its_own_seeded_order(app, session, test_library):
    """The page shows exactly the order the attempt's seed gives (that seeds differ, and so orders, is
    checked deterministically in tests/unit/test_harm_and_order.py)."""
    from fastapi.testclient import TestClient

    from app.models import Attempt
    from app.services.learning import player
    from tests.conftest import HtmlClient

    module = test_library.get("checkpoint-visit")
    for _ in range(4):
        official = make_official(session)
        with TestClient(app, follow_redirects=False) as raw:
            client = HtmlClient(raw)
            client.sign_in(official.email, PASSWORD)
            url = _start(client)
            attempt = session.get(Attempt, int(url.rsplit("/", 1)[1]))
            expected = [c.id for c in player.choices_in_order(attempt, module, module.scene("start"))]
            assert _choice_order(client.get(url).text) == expected


def test_a_poor_ending_offers_the_way_back_and_never_says_passed(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    url = _start(client)
    _choose(client, url, "report")
    page = client.get(url)
    response = client.post(url + "/choice", data={**_fields(page.text, "/choice"), "choice": "send-name"})
    assert "Weak choice" in check_page(client.get(response.headers["location"]).text).text  # a verdict with the feedback
    page = client.get(url)
    client.post(url + "/continue", data=_fields(page.text, "/continue"))
    ending = check_page(client.get(url).text)
    assert "cannot pass" in ending.text
    assert client.post(url + "/rewind", data=_fields(str(ending), "/rewind")).status_code == 303
    back = client.get(url)
    assert "The desk asks for corroboration" in back.text and "Decision 2" in back.text
    # Choosing harm again and finishing: the result does not say "passed".
    _choose(client, url, "send-name")
    page = client.get(url)
    assert client.post(url + "/continue", data=_fields(page.text, "/continue")).status_code == 303
    page = client.get(url)
    answers = {**_fields(page.text, "/answers"), "q-q-prep": "2", "q-q-signs": ["1", "2"]}
    response = client.post(url + "/answers", data=answers)
    assert response.status_code == 303, response.text[-2000:]
    result = check_page(client.get(response.headers["location"]).text)
    assert "You did not pass" in result.h1.text
    assert "You passed" not in result.text and "harmful outcome" in result.text
    assert "Taken back" in result.text


def test_preview_shows_a_learners_order_with_a_way_to_file_order(client, session, test_library):
    author = make_official(session, roles="learner author")
    client.sign_in(author.email, PASSWORD)
    module = test_library.get("checkpoint-visit")
    url = f"/author/modules/{module.id}/preview/scenes/start"
    shown = check_page(client.get(url).text)
    assert shown.find("a", href="?order=file")
    file_order = check_page(client.get(url + "?order=file").text)
    assert _choice_order(str(file_order)) == [c.id for c in module.scene("start").choices]
    assert sorted(_choice_order(str(shown))) == sorted(_choice_order(str(file_order)))
    assert _choice_order(client.get(url).text) == _choice_order(str(shown))  # the preview's order is stable
