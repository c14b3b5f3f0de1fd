"""The sender of the "xapi" outbox channel: PUT each statement to the Learning Record Store by its id
(xAPI 1.0.3, Basic auth).

An LRS answers 204 to a statement it stores, and to the same statement again (a resend is harmless); 409 when
it already holds a different statement under that id, which resending will never fix (a permanent failure,
kept with the reason). Timeouts, refused connections, 429 and 5xx are temporary (retried with backoff); any
other 4xx is permanent."""

from __future__ import annotations

import json

import httpx2

from app.services.outbox import PermanentFailure, TemporaryFailure

XAPI_VERSION = "1.0.3"


class LrsSender:
    def __init__(self, url: str, username: str, password: str, *, timeout: float = 10.0) -> None:
        self.endpoint = url.rstrip("/") + "/statements"
        self.auth = (username, password)
        self.timeout = timeout

    def send(self, payload: dict) -> None:
        statement_id = payload.get("id")
        if not statement_id:
            raise PermanentFailure("the statement has no id")
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
        try:
            with httpx2.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.put(self.endpoint, params={"statementId": statement_id}, auth=self.auth,
                                      headers=headers, content=json.dumps(payload))
        except httpx2.TimeoutException as error:
            raise TemporaryFailure(f"LRS timed out: {error.__class__.__name__}") from error
        except httpx2.HTTPError as error:
            raise TemporaryFailure(f"LRS unreachable: {error.__class__.__name__}: {error}") from error
        status = response.status_code
        if status in (200, 204):
            return
        detail = _detail(response)
        if status == 409:
            raise PermanentFailure(f"LRS 409: it holds a different statement with id {statement_id} ({detail})")
        if status == 429 or status >= 500:
            raise TemporaryFailure(f"LRS {status}: {detail}")
        raise PermanentFailure(f"LRS {status}: {detail}")


def _detail(response) -> str:
    try:
        body = response.json()
        text = body.get("detail") if isinstance(body, dict) else None
        return str(text if text is not None else body)[:300]
    except ValueError:
        return response.text[:300]


def register(settings) -> None:
    """For `aptrain worker` (app/delivery_cli.py): register the "xapi" sender when an LRS is configured."""
    from app.services.learning import xapi

    xapi.setup(settings)
