"""End to end: an official posted to an at-risk country receives the new-assignment email and each reminder at
its date, at the local Notify server, through the outbox and the worker; their manager gets the digest."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.services import outbox
from app.services import worker as w
from app.services.email import NotifySender
from tests.notify_server import API_KEY, TEMPLATE_ID, NotifyServer
from tests.unit.test_reminders import TODAY, flag, run, the_assignment, world  # noqa: F401 - `world` is a fixture


@pytest.fixture
def notify():
    with NotifyServer() as server:
        outbox.register_sender("email", NotifySender(API_KEY, TEMPLATE_ID, server.base_url, timeout=5))
        yield server
    outbox.unregister_sender("email")


def deliver(engine) -> None:
    w.run(engine, batch=50, claim_seconds=60, poll_seconds=0.01, policy=w.RetryPolicy(), stop=threading.Event(),
          until_empty=True)


def test_an_official_posted_to_an_at_risk_country_hears_at_each_date(session, engine, world, notify):  # noqa: F811
    flag(session, "SS")
    deliver(engine)
    [assigned] = notify.requests
    assert assigned["body"]["email_address"] == "amira.okafor@example.gov.uk"
    assert "because you will be posted to South Sudan" in assigned["body"]["personalisation"]["body"]
    due = the_assignment(session, world["amira"]).due_on
    for on in (due - timedelta(days=30), due - timedelta(days=7), due - timedelta(days=1), due, due + timedelta(days=1)):
        run(session, on)
        run(session, on)  # the schedule run twice: nothing twice
        deliver(engine)
    to_amira = [r["body"] for r in notify.requests if r["body"]["email_address"] == "amira.okafor@example.gov.uk"]
    assert [b["reference"].split(":")[0] for b in to_amira] == ["assigned", "due-30", "due-7", "due-1", "due-today", "overdue"]
    digests = [r["body"] for r in notify.requests if r["body"]["email_address"] == "ben.smith@example.gov.uk"]
    assert digests and all(b["reference"].startswith("manager-digest:") for b in digests)
    assert "Amira Okafor: The checkpoint visit" in digests[-1]["personalisation"]["body"]
    assert notify.stats()["duplicates"] == 0
    assert TODAY < due
