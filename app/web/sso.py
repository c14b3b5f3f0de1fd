"""Single sign-on in the browser: off to the provider, and back to the callback.

The flow's state, nonce and PKCE verifier travel in a short-lived cookie signed with the secret key
(HttpOnly, SameSite=Lax so it comes back on the provider's redirect): the state in the callback's URL
must match the cookie's, which binds the callback to the browser that started it. The cookie is
cleared by the callback, whatever happens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.config import OidcProvider, Settings
from app.services.accounts import oidc, sso, throttle
from app.services.accounts.sign_in_events import record_sign_in_failure
from app.web.deps import SESSION_COOKIE, SettingsDep, TransactionsDep, cookie_name, signed_in
from app.web.templating import render, url_path

router = APIRouter(dependencies=[Depends(signed_in)])

FLOW_COOKIE = "aptrain_sso"
FLOW_SECONDS = 600


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limits(settings: Settings) -> throttle.Limits:
    return throttle.Limits(
        account_attempts=settings.sign_in_account_attempts,
        address_attempts=settings.sign_in_address_attempts,
        lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
    )


def absolute_url(request: Request, settings: Settings, path: str) -> str:
    """This service's own address for `path`: the configured base URL, else the request's."""
    base = settings.base_url or str(request.base_url).rstrip("/")
    return base + path


def flow_cookie_name(settings: Settings) -> str:
    return settings.cookie_prefix + FLOW_COOKIE


def problem(
    request: Request, settings: Settings, status: int, heading: str, paragraphs: list[str], *,
    contact: bool = False, start_again: bool = False, retry_after: int | None = None,
) -> Response:
    """A clear page for a sign-in that did not happen."""
    context = {
        "heading": heading, "paragraphs": paragraphs, "show_contact": contact, "start_again": start_again,
        "contact": {"team": settings.contact_team, "email": settings.contact_email, "phone": settings.contact_phone},
    }
    response = render(request, "auth/problem.html", context, status_code=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def throttled(request: Request, settings: Settings, seconds: int) -> Response:
    minutes = throttle.minutes_to_wait(seconds)
    return problem(
        request, settings, 429, "Too many attempts to sign in",
        ["There have been too many attempts to sign in to this account or from this network.",
         f"For your security, try again in {minutes} minute{'s' if minutes != 1 else ''}."],
        contact=True, retry_after=seconds,
    )


def provider_unavailable(request: Request, settings: Settings, provider: OidcProvider) -> Response:
    return problem(
        request, settings, 503, "Sorry, you cannot sign in at the moment",
        [f"{provider.display_name} sign-in is not answering, so you have not been signed in.",
         "Try again in a few minutes."],
        contact=True, start_again=True, retry_after=30,
    )


# --- The signed flow cookie ---------------------------------------------------------------------------------------

def _mac(settings: Settings, body: bytes) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"sso-flow:" + body, hashlib.sha256).hexdigest()


def _encode(settings: Settings, values: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode())
    return body.decode() + "." + _mac(settings, body)


def _decode(settings: Settings, cookie: str | None) -> dict[str, Any] | None:
    """The flow's values if the cookie is ours, untouched and young enough; else None."""
    if not cookie or "." not in cookie:
        return None
    body, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(settings, body.encode())):
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(values, dict) or time.time() - float(values.get("at", 0)) > FLOW_SECONDS:
        return None
    return values


def start(request: Request, settings: Settings, provider: OidcProvider, email: str, next_path: str) -> Response:
    """Send the browser to its provider, with state, nonce and PKCE; the flow kept in the signed cookie."""
    try:
        meta = oidc.metadata(provider, settings.oidc_timeout_seconds)
    except oidc.ProviderUnavailable:
        return provider_unavailable(request, settings, provider)
    flow = oidc.new_flow()
    redirect_uri = absolute_url(request, settings, url_path(request, "sso_callback", provider=provider.key))
    url = oidc.authorization_url(provider, meta, redirect_uri, flow, email, settings.oidc_timeout_seconds)
    response = RedirectResponse(url, status_code=303)
    values = {"p": provider.key, "s": flow.state, "n": flow.nonce, "v": flow.code_verifier, "next": next_path,
              "at": time.time()}
    response.set_cookie(
        flow_cookie_name(settings), _encode(settings, values), max_age=FLOW_SECONDS, httponly=True, samesite="lax",
        secure=settings.cookies_secure, path="/",
    )
    return response


@router.get("/sign-in/sso/{provider}/callback", name="sso_callback")
def callback(
    request: Request, provider: str, transactions: TransactionsDep, settings: SettingsDep,
    code: str = "", state: str = "", error: str = "",
) -> Response:
    configured = next((p for p in settings.oidc_providers if p.key == provider), None)
    if configured is None:
        return problem(request, settings, 404, "Page not found", ["There is no sign-in at this address."])
    response = _callback(request, configured, transactions, settings, code, state, error)
    response.delete_cookie(flow_cookie_name(settings), path="/", secure=settings.cookies_secure, httponly=True,
                           samesite="lax")  # a __Host- cookie is deleted only by a Secure Set-Cookie
    return response


def _callback(
    request: Request, provider: OidcProvider, transactions, settings: Settings, code: str, state: str, error: str
) -> Response:
    address = client_address(request)
    rules = limits(settings)
    with transactions.read() as session:
        wait = throttle.locked_for(session, throttle.keys_for(None, address))
    if wait:
        return throttled(request, settings, wait)

    def refuse(reason: str, email: str | None = None) -> Response:
        with transactions.write() as session:
            throttle.record_failure(session, throttle.keys_for(email or None, address), rules)
            record_sign_in_failure(session, reason=reason, email=email or "", address=address, sso_provider=provider.key)
        if email is not None:  # a sound token, but its email cannot be used
            return problem(
                request, settings, 403, "We could not confirm your email address",
                [f"{provider.display_name} did not confirm a work email address that this service can use"
                 + (f" (it gave {email})." if email else "."),
                 f"Contact {settings.contact_team} or your department's IT service desk."],
                contact=True,
            )
        return problem(
            request, settings, 400, "Sign-in did not work",
            ["You have not been signed in. This can happen when a sign-in page was left open too long, was used "
             "twice, or was opened in another browser.", "Start again to sign in."],
            start_again=True,
        )

    flow = _decode(settings, request.cookies.get(flow_cookie_name(settings)))
    if flow is None or flow.get("p") != provider.key or not state or not hmac.compare_digest(str(flow["s"]), state):
        return refuse("state missing or does not match this browser's")
    if error or not code:
        return refuse(f"the provider answered {error or 'without a code'}"[:200])
    redirect_uri = absolute_url(request, settings, url_path(request, "sso_callback", provider=provider.key))
    timeout = settings.oidc_timeout_seconds
    try:
        meta = oidc.metadata(provider, timeout)
        id_token = oidc.exchange_code(
            provider, meta, redirect_uri, code, oidc.Flow(state=flow["s"], nonce=flow["n"], code_verifier=flow["v"]),
            timeout,
        )
        claims = oidc.validate_id_token(provider, meta, id_token, flow["n"], timeout)
        email = oidc.verified_email(provider, claims)
    except oidc.ProviderUnavailable:
        return provider_unavailable(request, settings, provider)
    except oidc.SignInRejected as rejected:
        return refuse(rejected.reason, rejected.email)

    with transactions.read() as session:
        wait = throttle.locked_for(session, throttle.keys_for(email, address))
    if wait:
        return throttled(request, settings, wait)
    attempt = sso.Attempt(
        provider=provider, subject=str(claims["sub"]), email=email, id_token=id_token, address=address,
        user_agent=request.headers.get("user-agent", ""), old_token=request.cookies.get(cookie_name(settings, SESSION_COOKIE)),
    )
    with transactions.write() as session:
        outcome = sso.sign_in(session, attempt, rules)
    if outcome.refused:
        return _refused_account(request, settings, provider, email, outcome.refused)
    response = RedirectResponse(safe_next(flow.get("next")), status_code=303)
    response.set_cookie(
        cookie_name(settings, SESSION_COOKIE), outcome.token, httponly=True, samesite="lax", secure=settings.cookies_secure, path="/",
        max_age=settings.session_absolute_hours * 3600,
    )
    return response


def safe_next(target: object) -> str:
    """Only a path on this site: never `//host` or a full URL (no open redirect)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/training"


def _refused_account(request: Request, settings: Settings, provider: OidcProvider, email: str, refused: str) -> Response:
    if refused == sso.UNKNOWN:
        return problem(
            request, settings, 403, "Your email address is not on the training roster",
            [f"{provider.display_name} signed you in as {email}, but this service has no official with that email "
             "address. Nobody is added by signing in: your department adds its officials.",
             f"Contact {settings.contact_team} to be added, giving your name, department and email address."],
            contact=True,
        )
    if refused == sso.INACTIVE:
        return problem(
            request, settings, 403, "Your account is not active",
            [f"The training record for {email} is marked as having left, so you cannot sign in.",
             f"If you have returned, contact {settings.contact_team}."],
            contact=True,
        )
    return problem(
        request, settings, 403, "You cannot sign in this way",
        [f"{provider.display_name} signed you in as {email}, but that account cannot sign in to your training record "
         f"({refused}).", f"Contact {settings.contact_team} for help."],
        contact=True,
    )
