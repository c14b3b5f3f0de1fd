"""Every module in the real library (modules/) can be played to the end and passed through the plain HTML
forms a browser without JavaScript posts: the best path through the scenes, every question answered right.
In-process (TestClient), so the whole library costs seconds; the browser suite plays only two modules."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from app import PROJECT_ROOT
from app.content import load_library
from app.main import create_app
from app.models import Completion
from tests.browser.journey import best_path
from tests.conftest import check_page
from tests.factories import PASSWORD, make_official
from tests.live import Learner, best_answers

LIBRARY = load_library(PROJECT_ROOT / "modules")
MODULES = sorted(LIBRARY.modules.values(), key=lambda m: m.id)


class CheckedClient(TestClient):
    """The in-process client, checking every HTML page against the house rules (conftest.check_page)."""

    def request(self, method, url, **kwargs):
        response = super().request(method, url, **kwargs)
        if response.headers.get("content-type", "").startswith("text/html"):
            check_page(response.text, fragment=response.request.headers.get("HX-Request") == "true")
        return response


@pytest.fixture
def real_app(settings):
    application = create_app(settings, library=LIBRARY)
    yield application
    application.state.engine.dispose()


def test_the_real_library_loads_every_module_without_errors():
    assert len(MODULES) >= 2, [str(d) for d in LIBRARY.errors]
    assert not LIBRARY.errors, [str(d) for d in LIBRARY.errors]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_every_module_can_be_passed_through_the_html_forms(real_app, session, module):
    official = make_official(session)
    path = best_path(module)
    assert path, f"{module.id}: no path from the start to an ending"
    taken: list[str] = []

    def along_the_best_path(module, form):
        data = best_answers(module, form)  # every question right
        if "choice" in form.radios:
            choice = path[len(taken)]
            assert choice in form.radios["choice"], (module.id, form.hidden.get("scene"), choice)
            data["choice"] = choice
            taken.append(choice)
        return data

    with CheckedClient(real_app, follow_redirects=False) as http:
        learner = Learner("http://testserver", official.email, PASSWORD)
        learner.client.close()
        learner.client = http
        learner.sign_in()
        attempt_url = learner.play(module, along_the_best_path)
        result = http.get(attempt_url + "/result")
        training = http.get("/training")

    assert taken == path, f"{module.id}: took {taken}, the best path is {path}"
    assert result.status_code == 200
    assert "You passed" in BeautifulSoup(result.text, "html5lib").h1.get_text(), module.id
    row = next(tr for tr in BeautifulSoup(training.text, "html5lib").select("tr") if module.title in tr.get_text())
    assert "Passed" in row.get_text(), module.id
    completion = session.exec(select(Completion).where(Completion.official_id == official.id)).one()
    assert (completion.module_id, completion.module_version) == (module.id, module.version)
    assert completion.percent >= module.pass_mark, module.id


def test_the_player_says_decision_1_of_about_the_longest_path(real_app, session):
    from app.content.graph import decision_range

    module = next(m for m in MODULES if decision_range(m)[0] < decision_range(m)[1])
    official = make_official(session)
    with CheckedClient(real_app, follow_redirects=False) as http:
        learner = Learner("http://testserver", official.email, PASSWORD)
        learner.client.close()
        learner.client = http
        learner.sign_in()
        intro = http.get(f"/modules/{module.id}")
        form = BeautifulSoup(intro.text, "html5lib").select_one("form[action$='/attempts']")
        fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
        attempt = http.get(http.post(f"/modules/{module.id}/attempts", data=fields).headers["location"])
    progress = BeautifulSoup(attempt.text, "html5lib").select_one(".app-progress").text
    assert progress == f"Decision 1 of about {decision_range(module)[1]}"
