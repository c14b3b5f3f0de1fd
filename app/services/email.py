"""Email senders for the outbox's "email" channel.

An email payload is rendered when it is enqueued: {"to", "subject", "body", "kind"}; the outbox key goes to
Notify as the `reference`. Two senders:
- NotifySender: GOV.UK Notify through its official client (`notifications-python-client`), with one generic
  template whose subject is ((subject)) and body ((body)). The client never retries: 5xx, 429, timeouts and
  refused connections are TemporaryFailure (the worker retries with backoff); any other 4xx is permanent.
- LogSender: writes the email to the log (development and tests); the rendered email stays readable at
  /admin/notifications.
"""

from __future__ import annotations

import logging

from app.services.outbox import PermanentFailure, TemporaryFailure

log = logging.getLogger("aptrain.email")


class LogSender:
    """Development and tests: the email goes to the log, and is kept in the outbox for /admin/notifications."""

    def __init__(self) -> None:
        self.sent: list[dict] = []  # in this process, for tests

    def send(self, payload: dict) -> None:
        self.sent.append(payload)
        log.info("email to %s: %s", payload.get("to"), payload.get("subject"))


class NotifySender:
    """GOV.UK Notify: POST /v2/notifications/email with the generic template, the subject and body as
    personalisation, and the outbox key as `reference` (so a message re-sent after a crash can be told apart)."""

    def __init__(self, api_key: str, template_id: str, base_url: str, timeout: float = 10.0) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.template_id = template_id
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)

    def send(self, payload: dict) -> None:
        from notifications_python_client.errors import APIError
        from requests import RequestException

        try:
            self.client.send_email_notification(
                email_address=payload["to"],
                template_id=self.template_id,
                personalisation={"subject": payload["subject"], "body": payload["body"]},
                reference=payload.get("reference"),
            )
        except APIError as error:
            status = error.status_code
            reason = f"Notify answered {status}: {error.message}"
            if status == 429 or status >= 500:
                raise TemporaryFailure(reason) from error
            raise PermanentFailure(reason) from error
        except RequestException as error:  # a timeout or refused connection the client did not wrap
            raise TemporaryFailure(f"Notify did not answer: {error.__class__.__name__}") from error


def email_sender(settings) -> LogSender | NotifySender:
    """The sender the settings ask for (APTRAIN_EMAIL_SENDER)."""
    if settings.email_sender == "notify":
        return NotifySender(
            settings.notify_api_key.get_secret_value(),
            settings.notify_template_id,
            settings.notify_base_url,
            settings.notify_timeout_seconds,
        )
    if settings.environment == "production":
        log.warning("APTRAIN_EMAIL_SENDER is log in production: emails are written to the log, none is sent "
                    "(set it to notify, with APTRAIN_NOTIFY_API_KEY and APTRAIN_NOTIFY_TEMPLATE_ID)")
    return LogSender()
