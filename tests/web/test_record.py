"""Your record and certificates: the record lists every completion (module, version, date, score, expiry) with
its certificate (a page and a PDF) carrying a verification code that anyone signed in can check at
/verify/<code>; nobody sees another official's certificate."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from app.clock import today
from app.models import Attempt, Completion, ModuleVersion
from app.services.compliance.status import add_months
from app.services.learning.certificates import format_code
from app.services.organisation.assignments import recompute_officials
from tests.conftest import check_page
from tests.factories import PASSWORD, make_requirement


def _complete(session, official, *, days_ago: int, module_id="checkpoint-visit", title="At the checkpoint",
              version="1.2.0", percent=85) -> Completion:
    """A passed attempt `days_ago` days ago, with the module version it was taken on."""
    mv = ModuleVersion(module_id=module_id, version=version, content_hash=version.ljust(64, "0"), title=title,
                       max_score=20, pass_mark=70)
    session.add(mv)
    session.flush()
    attempt = Attempt(official_id=official.id, module_id=module_id, module_version_id=mv.id, current_scene="end",
                      max_score=20, state="finished")
    session.add(attempt)
    session.flush()
    completion = Completion(official_id=official.id, attempt_id=attempt.id, module_id=module_id, module_version=version,
                            content_hash=mv.content_hash, score=percent // 5, percent=percent,
                            completed_at=datetime.combine(today() - timedelta(days=days_ago), time(10), UTC))
    session.add(completion)
    session.commit()
    session.refresh(completion)
    return completion


def _govuk(day) -> str:
    return f"{day.day} {day:%B %Y}"


@pytest.fixture
def record(session, org):
    """The learner passed two modules: "At the checkpoint" 400 days ago (a requirement makes it valid for 12
    months: expired) and "Counting people" 10 days ago (required of nobody: it does not expire)."""
    make_requirement(session, name="Checkpoint yearly", module_id="checkpoint-visit", validity_months=12)
    old = _complete(session, org["learner"], days_ago=400)
    new = _complete(session, org["learner"], days_ago=10, module_id="counting-people", title="Counting people",
                    version="2.0.1", percent=90)
    recompute_officials(session, [org["learner"].id], today())
    session.commit()
    return {"expired": old, "current": new}


def test_the_record_lists_every_completion_with_its_certificate(client, org, record):
    client.sign_in(org["learner"].email, PASSWORD)
    page = check_page(client.get("/record").text)
    assert page.h1.get_text(strip=True) == "Your record"
    rows = [[c.get_text(" ", strip=True) for c in tr.select("td")] for tr in page.select("tbody tr")]
    old_day = today() - timedelta(days=400)
    expires = add_months(old_day, 12)  # the completion date plus the requirement's validity
    assert rows[0][:5] == ["Counting people", "2.0.1", _govuk(today() - timedelta(days=10)), "90%", "Does not expire"]
    assert rows[1][:5] == ["At the checkpoint", "1.2.0", _govuk(old_day), "85%", f"{_govuk(expires)} Expired"]
    links = [a["href"] for a in page.select("tbody a")]
    assert links == [f"/record/{record['current'].id}/certificate", f"/record/{record['current'].id}/certificate.pdf",
                     f"/record/{record['expired'].id}/certificate", f"/record/{record['expired'].id}/certificate.pdf"]
    # Reached from the menu and from "Your training".
    training = check_page(client.get("/training").text)
    assert training.select_one('.govuk-service-navigation a[href="/record"]').get_text(strip=True) == "Your record"
    assert training.select_one('main a[href="/record"]')


def test_an_official_with_no_completions_is_told_so(client, org):
    client.sign_in(org["in_team"].email, PASSWORD)
    page = check_page(client.get("/record").text)
    assert "You have not passed any modules yet" in page.text and not page.select("table")


def test_the_certificate_page_carries_the_code_and_where_to_check_it(client, org, record):
    client.sign_in(org["learner"].email, PASSWORD)
    completion = record["current"]
    page = check_page(client.get(f"/record/{completion.id}/certificate").text)
    text = " ".join(page.get_text(" ").split())
    assert page.h1.get_text(strip=True) == "Certificate of completion"
    assert "Lars Gray" in text and "Counting people" in text and "2.0.1" in text and "90%" in text
    code = format_code(completion.verification_code)
    assert len(code) == 24 and page.select_one(".app-certificate__code").get_text(strip=True) == code
    assert f"http://testserver/verify/{code}" in text
    assert page.select_one(f'a[href="/record/{completion.id}/certificate.pdf"]')


def test_the_pdf_is_a_pdf_with_the_code(client, org, record):
    client.sign_in(org["learner"].email, PASSWORD)
    completion = record["current"]
    response = client.get(f"/record/{completion.id}/certificate.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="certificate-counting-people-')
    body = response.content
    assert body.startswith(b"%PDF-1.") and body.rstrip().endswith(b"%%EOF")
    assert format_code(completion.verification_code).encode() in body
    assert b"Lars Gray" in body and b"Counting people" in body


@pytest.mark.parametrize("what", ["certificate", "certificate.pdf"])
def test_another_officials_certificate_is_not_found(client, org, record, what):
    client.sign_in(org["in_team"].email, PASSWORD)
    response = client.get(f"/record/{record['current'].id}/{what}")
    assert response.status_code == 404
    assert "Lars Gray" not in response.text and record["current"].verification_code not in response.text
    # Not even a central admin sees another official's certificate here (they check it by its code).
    client.cookies.clear()
    client.sign_in(org["central"].email, PASSWORD)
    assert client.get(f"/record/{record['current'].id}/{what}").status_code == 404


def test_anyone_signed_in_can_verify_a_current_certificate(client, org, record):
    client.sign_in(org["mod_official"].email, PASSWORD)  # another department, no role
    completion = record["current"]
    page = check_page(client.get(f"/verify/{format_code(completion.verification_code)}").text)
    text = " ".join(page.get_text(" ").split())
    assert "Current" in page.select_one("main .govuk-tag").get_text() and "genuine certificate, and it is current" in text
    values = {row.dt.get_text(strip=True): row.dd.get_text(" ", strip=True) for row in page.select(".govuk-summary-list__row")}
    assert values == {"Official": "Lars Gray", "Module": "Counting people", "Version": "2.0.1",
                      "Completed": _govuk(today() - timedelta(days=10)), "Valid until": "Does not expire"}
    # Typed as people type: small letters, no hyphens, O for 0.
    typed = completion.verification_code.lower().replace("0", "o")
    assert client.get(f"/verify/{typed}").status_code == 200


def test_an_expired_certificate_verifies_as_expired(client, org, record):
    client.sign_in(org["mod_official"].email, PASSWORD)
    page = check_page(client.get(f"/verify/{record['expired'].verification_code}").text)
    assert page.select_one("main .govuk-tag").get_text(strip=True) == "Expired"
    assert "At the checkpoint" in page.text and "must take the module again" in page.text


@pytest.mark.parametrize("code", ["0000-0000-0000-0000-0000", "not-a-code", "A" * 21, "%20"])
def test_an_unknown_code_is_a_clear_not_found_page(client, org, record, code):
    client.sign_in(org["mod_official"].email, PASSWORD)
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    page = check_page(response.text)
    assert page.h1.get_text(strip=True) == "No certificate has this code"
    assert "Lars Gray" not in response.text


def test_verifying_needs_sign_in(client, record):
    response = client.get(f"/verify/{record['current'].verification_code}")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    assert client.get("/record").status_code == 303


def test_codes_are_long_random_and_unique(session, org):
    codes = {_complete(session, org["learner"], days_ago=n, version=f"1.0.{n}").verification_code for n in range(20)}
    assert len(codes) == 20 and all(len(c) == 20 for c in codes)
