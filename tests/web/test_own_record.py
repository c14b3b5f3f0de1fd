"""Nobody changes their own training record: no extension, exemption or posting for oneself, whatever one's
roles (issue 12, gap 3); and an extension goes at most APTRAIN_MAX_EXTENSION_DAYS past the due date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.clock import today
from app.models import Assignment, AuditEvent, Exemption, Extension, Posting
from app.services.audit import Actor
from app.services.organisation import people
from app.services.organisation.assignments import recompute_officials
from app.services.organisation.scope import Scope
from app.web.forms.common import date_values
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_posting, make_requirement


def _assign(session, *officials) -> dict[int, Assignment]:
    make_requirement(session, due_days=-5)
    recompute_officials(session, [o.id for o in officials], today() - timedelta(days=40))
    session.commit()
    return {a.official_id: a for a in session.exec(select(Assignment))}


@pytest.mark.parametrize("who", ["manager", "dept_admin", "central"])
def test_nobody_exempts_extends_or_posts_themselves(client, session, org, who):
    me = org[who]
    mine = _assign(session, me, org["in_team"])[me.id]
    posting = make_posting(session, me, "SD", today() - timedelta(days=10))
    client.sign_in(me.email, PASSWORD)
    # One's own page shows no grant or posting forms, and says why.
    page = check_page(client.get(f"/manage/officials/{me.id}").text)
    assert "This is your own record" in page.text
    assert not page.select("form[action*='/manage/assignments/']") and not page.select("form[action*='postings']")
    # Sent anyway (a crafted request, or a form from another tab): refused with a clear page; nothing stored.
    token = client.csrf_token(f"/manage/officials/{org['in_team'].id}")
    grant = {"csrf_token": token, "official_id": str(me.id), "reason": "other", "comment": "Myself",
             **date_values("until", today() + timedelta(days=3000))}
    for kind, heading in (("exemptions", "You cannot grant yourself an exemption"),
                          ("extensions", "You cannot grant yourself an extension")):
        response = client.post(f"/manage/assignments/{mine.id}/{kind}", data=grant)
        assert response.status_code == 403 and check_page(response.text).h1.text.strip() == heading
        # An incomplete form is refused the same way (not shown back with errors).
        assert client.post(f"/manage/assignments/{mine.id}/{kind}", data={"csrf_token": token}).status_code == 403
    added = client.post(f"/manage/officials/{me.id}/postings",
                        data={"csrf_token": token, "country": "SD", "post": "Khartoum", **date_values("start_on", today())})
    assert added.status_code == 403 and "You cannot change your own postings" in added.text
    ended = client.post(f"/manage/postings/{posting.id}/end",
                        data={"csrf_token": token, "official_id": str(me.id), **date_values("end_on", today())})
    assert ended.status_code == 403
    session.expire_all()
    assert session.exec(select(Exemption)).first() is None and session.exec(select(Extension)).first() is None
    assert [p.id for p in session.exec(select(Posting))] == [posting.id] and posting.end_on is None
    changes = ("exemption.grant", "extension.grant", "posting.create", "posting.end")
    assert session.exec(select(AuditEvent).where(AuditEvent.actor_id == me.id, AuditEvent.action.in_(changes))).first() is None
    # Someone else's record, in scope, still has its forms.
    other = check_page(client.get(f"/manage/officials/{org['in_team'].id}").text)
    assert other.select("form[action*='/extensions']") and other.select("form[action$='/postings']")


def test_the_service_refuses_ones_own_record_too(session, org):
    me = org["central"]
    mine = _assign(session, me)[me.id]
    everything, actor = Scope(everything=True), Actor(me.id, me.full_name)
    with pytest.raises(people.OwnRecord):
        people.grant_exemption(session, everything, actor, mine.id, valid_until=today(), reason="other", comment="x",
                               today=today())
    with pytest.raises(people.OwnRecord):
        people.add_posting(session, everything, actor, me.id, country_code="SD", post="x", start_on=today(),
                           end_on=None, today=today())


def test_an_extension_is_capped_by_the_setting(client, session, org):
    mine = _assign(session, org["in_team"])[org["in_team"].id]
    latest = max(mine.due_on, today()) + timedelta(days=90)
    assert people.latest_extension(mine, today()) == latest
    client.sign_in(org["manager"].email, PASSWORD)
    url = f"/manage/officials/{org['in_team'].id}"
    html = client.get(url).text
    assert f"No later than {latest.day} {latest:%B %Y}" in check_page(html).text
    fields = hidden_fields(html, f"/manage/assignments/{mine.id}/extensions")
    form = {**fields, "reason": "absence", "comment": "Long illness"}
    too_far = client.post(f"/manage/assignments/{mine.id}/extensions", data={**form, **date_values("until", latest + timedelta(days=1))})
    assert too_far.status_code == 422
    summary = check_page(too_far.text).select_one(".govuk-error-summary")
    assert summary.a["href"] == f"#extension-until-{mine.id}-day"
    assert f"no later than {latest.day} {latest:%B %Y}" in summary.text and "90 days" in summary.text
    assert session.exec(select(Extension)).first() is None
    assert client.post(f"/manage/assignments/{mine.id}/extensions", data={**form, **date_values("until", latest)}).status_code == 303
    # The service holds the cap whoever calls it, with the setting's value.
    with pytest.raises(people.ExtensionTooLong):
        people.grant_extension(session, Scope(everything=True), Actor(None, "test"), mine.id, reason="other", comment="x",
                               today=today(), new_due_on=max(mine.due_on, today()) + timedelta(days=11), max_days=10)


def test_the_cap_comes_from_app_settings(session, org, database_url, test_library):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient, make_settings

    mine = _assign(session, org["in_team"])[org["in_team"].id]
    app = create_app(make_settings(database_url, max_extension_days=10), library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        client.sign_in(org["manager"].email, PASSWORD)
        fields = hidden_fields(client.get(f"/manage/officials/{org['in_team'].id}").text,
                               f"/manage/assignments/{mine.id}/extensions")
        until = date_values("until", max(mine.due_on, today()) + timedelta(days=11))
        response = client.post(f"/manage/assignments/{mine.id}/extensions",
                               data={**fields, "reason": "absence", "comment": "x", **until})
        assert response.status_code == 422 and "at most 10 days" in response.text
    app.state.engine.dispose()
