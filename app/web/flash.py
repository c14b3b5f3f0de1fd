"""A success message carried across a POST → redirect → GET: set with the redirect, shown once by the next page.

It travels in a short-lived cookie signed with the secret key, so only the service can write one: nothing a
link or a query string carries is ever shown as a message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from app.web.deps import cookie_name

FLASH_COOKIE = "aptrain_flash"
FLASH_SECONDS = 300  # the redirect is followed at once; a message older than this is dropped


@dataclass(frozen=True)
class Flash:
    """What the success banner says: a heading and, optionally, a sentence under it."""

    heading: str
    body: str = ""


def _key(request: Request) -> bytes:
    return request.app.state.settings.secret_key.get_secret_value().encode() + b":flash"


def _sign(request: Request, payload: str) -> str:
    return hmac.new(_key(request), payload.encode(), hashlib.sha256).hexdigest()


def flash(request: Request, response: Response, heading: str, body: str = "") -> Response:
    """Attach a success message to `response` (a redirect) for the next page to show."""
    data = json.dumps({"h": heading, "b": body, "t": int(time.time())}, ensure_ascii=False)
    payload = base64.urlsafe_b64encode(data.encode()).decode()
    settings = request.app.state.settings
    response.set_cookie(cookie_name(settings, FLASH_COOKIE), f"{payload}.{_sign(request, payload)}", max_age=FLASH_SECONDS, httponly=True,
                        samesite="lax", secure=settings.cookies_secure, path="/")
    return response


def take_flash(request: Request) -> Flash | None:
    """The message waiting for this page, if its signature holds and it is recent; the caller deletes the
    cookie (`forget_flash`) whenever one was sent, valid or not."""
    value = request.cookies.get(cookie_name(request.app.state.settings, FLASH_COOKIE))
    if not value or "." not in value:
        return None
    payload, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(request, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or time.time() - data.get("t", 0) > FLASH_SECONDS:
        return None
    return Flash(str(data.get("h", "")), str(data.get("b", "")))


def forget_flash(request: Request, response: Response) -> None:
    """Shown once: delete the cookie on the page that read it."""
    settings = request.app.state.settings
    if (name := cookie_name(settings, FLASH_COOKIE)) in request.cookies:
        response.delete_cookie(name, path="/", secure=settings.cookies_secure, httponly=True, samesite="lax")
