"""The GOV.UK Notify sender, through the official client, against a local server that speaks Notify's API:
what it sends (JWT, template, personalisation, reference), and how each answer maps to the outbox's failures."""

from __future__ import annotations

import jwt
import pytest

from app.services.email import LogSender, NotifySender, email_sender
from app.services.outbox import PermanentFailure, TemporaryFailure
from tests.conftest import make_settings
from tests.notify_server import API_KEY, SECRET, SERVICE_ID, TEMPLATE_ID, NotifyServer

EMAIL = {"to": "amira.okafor@example.gov.uk", "subject": "Checkpoint visit: due in 7 days",
         "body": "Dear Amira,\n\nYou must complete it.", "kind": "due-7", "reference": "due-7:12:2027-01-31"}


@pytest.fixture
def notify():
    with NotifyServer() as server:
        yield server


def sender(notify: NotifyServer, **kwargs) -> NotifySender:
    return NotifySender(kwargs.get("api_key", API_KEY), TEMPLATE_ID, notify.base_url, timeout=2)


def test_an_email_goes_to_notify_with_the_generic_template_and_the_key_as_reference(notify):
    sender(notify).send(EMAIL)
    [request] = notify.requests
    assert request["body"] == {
        "email_address": "amira.okafor@example.gov.uk",
        "template_id": TEMPLATE_ID,
        "personalisation": {"subject": EMAIL["subject"], "body": EMAIL["body"]},
        "reference": "due-7:12:2027-01-31",
    }


def test_the_fake_server_checks_the_bearer_token_as_notify_does(notify):
    wrong_secret = API_KEY[:-36] + "00000000-0000-0000-0000-000000000000"
    with pytest.raises(PermanentFailure, match="403"):
        sender(notify, api_key=wrong_secret).send(EMAIL)
    assert notify.requests == [] and notify.stats()["refused"] == 1
    token = jwt.encode({"iss": SERVICE_ID, "iat": 0}, SECRET, algorithm="HS256")
    assert jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})["iss"] == SERVICE_ID


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_rate_limits_are_temporary(notify, status):
    notify.fail_next(status, count=1)
    with pytest.raises(TemporaryFailure, match=str(status)):
        sender(notify).send(EMAIL)
    sender(notify).send(EMAIL)  # the next try goes through
    assert notify.stats()["accepted"] == 1


def test_a_bad_request_is_permanent_and_keeps_notifys_reason(notify):
    notify.fail_next(400, count=1)
    with pytest.raises(PermanentFailure) as failure:
        sender(notify).send(EMAIL)
    assert "400" in failure.value.reason and "team-only API key" in failure.value.reason


def test_no_answer_is_temporary():
    unused = NotifyServer()
    base_url = unused.base_url
    unused.httpd.server_close()  # nothing listens there now
    with pytest.raises(TemporaryFailure):
        NotifySender(API_KEY, TEMPLATE_ID, base_url, timeout=1).send(EMAIL)


def test_a_slow_notify_is_a_temporary_failure(notify):
    notify.state.delay = 2
    with pytest.raises(TemporaryFailure):
        NotifySender(API_KEY, TEMPLATE_ID, notify.base_url, timeout=0.3).send(EMAIL)


def test_settings_choose_the_sender(database_url):
    assert isinstance(email_sender(make_settings(database_url)), LogSender)
    chosen = email_sender(make_settings(database_url, email_sender="notify", notify_api_key=API_KEY,
                                        notify_template_id=TEMPLATE_ID, notify_base_url="http://127.0.0.1:9"))
    assert isinstance(chosen, NotifySender) and chosen.template_id == TEMPLATE_ID
    with pytest.raises(ValueError, match="APTRAIN_NOTIFY_API_KEY"):
        make_settings(database_url, email_sender="notify")


def test_the_log_sender_in_production_says_no_email_is_sent(database_url, caplog):
    settings = make_settings(database_url, environment="production", base_url="https://training.example.gov.uk")
    with caplog.at_level("WARNING", logger="aptrain.email"):
        assert isinstance(email_sender(settings), LogSender)
    assert "none is sent" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="aptrain.email"):
        email_sender(make_settings(database_url))
    assert caplog.text == ""
