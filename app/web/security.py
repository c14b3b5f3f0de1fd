"""Response headers every page gets, and the cookie that seeds the sign-in form's CSRF token."""

from __future__ import annotations

import secrets

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from app.web.deps import CSRF_COOKIE, cookie_name


def content_security_policy(script_hashes: list[str], form_targets: list[str] | tuple[str, ...] = ()) -> str:
    """The policy for every page. `form_targets`: other origins a form may lead to (single sign-on providers,
    which the sign-in and sign-out forms redirect to; browsers apply form-action to redirects too)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' " + " ".join(script_hashes),
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_targets]),
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    def __init__(self, app, *, csp: str, secure_cookies: bool) -> None:
        super().__init__(app)
        self.csp = csp
        self.secure_cookies = secure_cookies

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        new_seed = None
        csrf_cookie = cookie_name(request.app.state.settings, CSRF_COOKIE)
        if not request.cookies.get(csrf_cookie):
            new_seed = secrets.token_urlsafe(32)
            request.state.csrf_seed = new_seed
        response = await call_next(request)
        headers = response.headers
        headers["Content-Security-Policy"] = self.csp
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if self.secure_cookies:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.url.path.startswith(("/static/", "/assets/")):
            headers["Cache-Control"] = "no-store"
        if new_seed is not None:
            response.set_cookie(
                csrf_cookie, new_seed, httponly=True, samesite="lax", secure=self.secure_cookies, path="/"
            )
        return response
