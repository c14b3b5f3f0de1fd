"""/admin/notifications: central admins see the outbox by status, read a rendered email, and retry a failed one."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup
from sqlalchemy import update
from sqlmodel import select

from app.db import session_scope
from app.models import OutboxMessage
from app.services import outbox
from tests.conftest import hidden_fields
from tests.factories import PASSWORD, make_official


def add_emails(engine, n: int, *, status: str = "queued", error: str | None = None) -> list[int]:
    with session_scope(engine) as session:
        for i in range(n):
            outbox.enqueue(session, "email", f"{status}-{i}", {
                "to": f"official{i}@example.gov.uk", "subject": f"Checkpoint visit: due in 7 days ({status} {i})",
                "body": "Dear Amira,\n\nYou must complete The checkpoint visit by 31 January 2027.\n\nStart: "
                        "http://127.0.0.1:8000/training\n\nAtrocity Prevention Training", "kind": "due-7"})
        session.execute(update(OutboxMessage).where(OutboxMessage.key.startswith(f"{status}-"))
                        .values(status=status, last_error=error))
    with session_scope(engine) as session:
        return list(session.exec(select(OutboxMessage.id).where(OutboxMessage.key.startswith(f"{status}-"))
                                 .order_by(OutboxMessage.id)))


def central(client, session):
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    return admin


def test_central_admins_see_queued_sent_and_failed_messages_by_status(client, session, engine):
    add_emails(engine, 2, status="queued")
    add_emails(engine, 1, status="sent")
    add_emails(engine, 1, status="failed", error="Notify answered 400: Not a valid email address")
    central(client, session)
    page = BeautifulSoup(client.get("/admin/notifications").text, "html5lib")
    assert page.h1.text == "Notifications"
    tabs = [a.get_text(" ", strip=True) for a in page.select("nav[aria-label='Notifications by status'] a")]
    assert tabs == ["All (4)", "Queued (2)", "Sending (0)", "Sent (1)", "Failed (1)"]
    assert len(page.select("#notifications tbody tr")) == 4
    failed = BeautifulSoup(client.get("/admin/notifications?status=failed").text, "html5lib")
    [row] = failed.select("#notifications tbody tr")
    assert "Notify answered 400: Not a valid email address" in row.text and "Failed" in row.text
    assert failed.h1.text == "Failed notifications"
    # The admin area's own navigation names the page.
    assert page.select_one("nav[aria-label='Admin'] a[aria-current='page']").text == "Notifications"


def test_the_list_is_paginated_newest_first(client, session, engine):
    ids = add_emails(engine, 120)
    central(client, session)
    first = BeautifulSoup(client.get("/admin/notifications").text, "html5lib")
    rows = first.select("#notifications tbody tr a")
    assert len(rows) == 50 and rows[0]["href"].endswith(f"/{ids[-1]}")
    older = first.select_one(".govuk-pagination__next a")["href"]
    second = BeautifulSoup(client.get(older).text, "html5lib")
    assert second.select("#notifications tbody tr a")[0]["href"].endswith(f"/{ids[-51]}")
    newer = second.select_one(".govuk-pagination__prev a")["href"]
    back = BeautifulSoup(client.get(newer).text, "html5lib")
    assert [a["href"] for a in back.select("#notifications tbody tr a")] == [a["href"] for a in rows]


def test_an_admin_reads_the_rendered_email(client, session, engine):
    [message_id] = add_emails(engine, 1, status="sent")
    central(client, session)
    page = BeautifulSoup(client.get(f"/admin/notifications/{message_id}").text, "html5lib")
    assert page.h1.text == "Checkpoint visit: due in 7 days (sent 0)"
    body = [p.get_text() for p in page.select("#message-body p")]
    assert body[:2] == ["Dear Amira,", "You must complete The checkpoint visit by 31 January 2027."]
    assert "official0@example.gov.uk" in page.select_one(".govuk-summary-list").text
    assert page.find("button", string=lambda s: s and "Send it again" in s) is None  # only failed ones


def test_a_failed_message_can_be_sent_again(client, session, engine):
    [message_id] = add_emails(engine, 1, status="failed", error="Notify answered 400: bad template")
    with session_scope(engine) as s:
        s.execute(update(OutboxMessage).values(attempts=3))
    central(client, session)
    url = f"/admin/notifications/{message_id}"
    page = client.get(url)
    response = client.post(f"{url}/retry", data=hidden_fields(page.text, action_ending="/retry"))
    assert response.status_code == 303 and response.headers["location"] == url
    assert "Queued to send again" in client.get(url).text
    session.expire_all()
    message = session.get(OutboxMessage, message_id)
    assert message.status == "queued" and message.attempts == 0
    again = client.post(f"{url}/retry", data=hidden_fields(page.text, action_ending="/retry"))
    assert again.status_code == 303 and "Nothing to retry" in client.get(url).text


def test_retrying_needs_the_csrf_token(client, session, engine):
    [message_id] = add_emails(engine, 1, status="failed")
    central(client, session)
    response = client.post(f"/admin/notifications/{message_id}/retry", data={"csrf_token": "wrong"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(OutboxMessage, message_id).status == "failed"


def test_others_cannot_see_or_retry_notifications(client, session, engine):
    [message_id] = add_emails(engine, 1, status="failed")
    manager = make_official(session, roles="learner manager department-admin")
    client.sign_in(manager.email, PASSWORD)
    assert client.get("/admin/notifications").status_code == 403
    assert client.get(f"/admin/notifications/{message_id}").status_code == 403
    assert client.post(f"/admin/notifications/{message_id}/retry", data={}).status_code == 403


def test_an_unknown_message_is_not_found(client, session):
    central(client, session)
    assert client.get("/admin/notifications/999999").status_code == 404
    assert client.get("/admin/notifications/0").status_code == 404


def test_a_learning_record_shows_its_statement(client, session, engine):
    with session_scope(engine) as s:
        outbox.enqueue(s, "xapi", "statement:5b0a", {"id": "5b0a", "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}})
    central(client, session)
    page = client.get("/admin/notifications?status=queued")
    link = BeautifulSoup(page.text, "html5lib").select_one("#notifications tbody a")["href"]
    statement = BeautifulSoup(client.get(link).text, "html5lib").select_one("#message-body pre").text
    assert json.loads(statement)["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
