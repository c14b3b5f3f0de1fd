"""Pages anyone may read, signed in or not: help, privacy, cookies, the accessibility statement; a health check."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from app.config import Settings
from app.db import database_answers
from app.web.deps import CSRF_COOKIE, SESSION_COOKIE, LibraryDep, SessionDep, SettingsDep, cookie_name, signed_in
from app.web.flash import FLASH_COOKIE, FLASH_SECONDS
from app.web.sso import FLOW_SECONDS, flow_cookie_name
from app.web.templating import render

router = APIRouter(dependencies=[Depends(signed_in)])


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    expires: str


def cookies_set(settings: Settings) -> list[Cookie]:
    """Every cookie the service sets (all essential), from the names the code uses."""
    return [
        Cookie(cookie_name(settings, SESSION_COOKIE), "Keeps you signed in. Only a fingerprint of it is stored on our side.",
               f"When you sign out, after {settings.session_idle_minutes} minutes without using the service, "
               f"or {settings.session_absolute_hours} hours after you signed in"),
        Cookie(cookie_name(settings, CSRF_COOKIE), "Protects the sign-in form from being sent by another website.",
               "When you close your browser"),
        Cookie(cookie_name(settings, FLASH_COOKIE), "Carries the message that confirms a change (for example, an extension granted) to the "
               "next page.", f"As soon as the message is shown, or after {FLASH_SECONDS // 60} minutes"),
    ] + ([
        Cookie(flow_cookie_name(settings), "While you sign in with your department's account: ties the answer from "
               "its sign-in page to this browser.",
               f"When you come back from your department's sign-in page, or after {FLOW_SECONDS // 60} minutes"),
    ] if settings.oidc_providers else [])


def _contact(settings: Settings) -> dict:
    return {"contact": {"team": settings.contact_team, "email": settings.contact_email, "phone": settings.contact_phone,
                        "controller": settings.data_controller, "privacy_email": settings.privacy_email},
            "idle": settings.session_idle_minutes, "absolute": settings.session_absolute_hours}


@router.get("/accessibility")
def accessibility(request: Request, settings: SettingsDep) -> Response:
    return render(request, "pages/accessibility.html", _contact(settings))


@router.get("/help")
def help_page(request: Request, settings: SettingsDep) -> Response:
    return render(request, "pages/help.html", _contact(settings))


@router.get("/privacy")
def privacy(request: Request, settings: SettingsDep) -> Response:
    return render(request, "pages/privacy.html", _contact(settings))


@router.get("/cookies")
def cookies(request: Request, settings: SettingsDep) -> Response:
    return render(request, "pages/cookies.html", {"cookies": cookies_set(settings)})


@router.get("/healthz")
def health(session: SessionDep, library: LibraryDep) -> Response:
    database_answers(session)
    return JSONResponse({"status": "ok", "modules": len(library.modules)})
