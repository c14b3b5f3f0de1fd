"""Jinja2 with GOV.UK Frontend macros; one helper answers a full page or, for htmx, a named block.

Templates get route paths (`url`), GOV.UK dates (`govuk_date`, `govuk_datetime`) and the main menu
for the viewer's roles (`main_navigation`) from here, so no template spells a path, a date format or a role rule."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import govuk_frontend_jinja
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from jinja2_fragments import render_block
from starlette.routing import NoMatchFound

from app import PROJECT_ROOT
from app.models.accounts import Role
from app.web.flash import forget_flash, take_flash

SERVICE_NAME = "Atrocity Prevention Training"


def govuk_date(value: date | None, short: bool = False) -> str:
    """A date as GOV.UK writes it: 2 December 2026 (short, for tables: 2 Dec 2026)."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}" if short else f"{value.day} {value:%B %Y}"


def govuk_datetime(value: datetime | None, short: bool = False) -> str:
    """A moment with its time of day: 2 December 2026, 14:05 (short, for tables: 2 Dec 2026 14:05)."""
    if value is None:
        return ""
    return f"{govuk_date(value, short=True)} {value:%H:%M}" if short else f"{govuk_date(value)}, {value:%H:%M}"


def url_path(request: Request, name: str, /, **params: Any) -> str:
    """The path (not the absolute URL) of the route called `name`, as the browser should request it."""
    # The app's routing table walks every route for each name (a few hundred tries a page): ask the first
    # route of that name directly, as the walk would find it; anything else (a mount, other parameters) walks.
    index = getattr(request.app.state, "routes_by_name", None)
    if index is None:
        index = request.app.state.routes_by_name = _routes_by_name(request.app)
    route = index.get(name)
    if route is not None:
        try:
            return str(route.url_path_for(name, **params))
        except NoMatchFound:
            pass
    return str(request.app.url_path_for(name, **params))


def _routes_by_name(app) -> dict[str, Any]:
    """Each name's first route, in the order the app's routing table tries them (included routers inline)."""
    index: dict[str, Any] = {}
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)  # an included router: its routes in turn
        for candidate in contexts() if contexts else [route]:
            if isinstance(candidate, APIRoute) or isinstance(getattr(candidate, "original_route", None), APIRoute):
                index.setdefault(candidate.name, candidate)
    return index


@pass_context
def _url(context: Context, name: str, /, **params: Any) -> str:
    # Remembered for the rest of this request: a dashboard links each of hundreds of figures to the same few
    # routes, and looking a route up walks the whole routing table.
    request = context["request"]
    paths = request.scope.setdefault("app.url_paths", {})
    key = (name, *sorted(params.items()))
    try:
        found = paths.get(key)
    except TypeError:  # a parameter that cannot be a key: look it up every time
        return url_path(request, name, **params)
    if found is None:
        found = paths[key] = url_path(request, name, **params)
    return found


class NavItem(NamedTuple):
    label: str
    href: str
    key: str  # matched against the page's `active_nav`


_MANAGERS = frozenset({Role.CENTRAL_ADMIN, Role.DEPARTMENT_ADMIN, Role.MANAGER})
# (label, route name, key, who sees it: None for everyone signed in), in menu order.
_MENU: tuple[tuple[str, str, str, frozenset[Role] | None], ...] = (
    ("Your training", "training", "training", None),
    ("Your record", "record", "record", None),
    ("Authoring", "index", "authoring", frozenset({Role.AUTHOR, Role.CENTRAL_ADMIN})),
    ("Compliance", "overview", "compliance", _MANAGERS),
    ("Officials", "manage_officials", "manage", _MANAGERS),
    ("Requirements", "requirement_list", "requirements", _MANAGERS),
    ("Admin", "countries", "admin", frozenset({Role.CENTRAL_ADMIN})),
)
# The admin area's own navigation (templates/admin/layout.html): (label, route name, key matched against the
# page's `admin_nav`). Every page here is for central admins only.
_ADMIN_MENU: tuple[tuple[str, str, str], ...] = (
    ("Countries at risk", "countries", "countries"),
    ("Imports", "imports", "imports"),
    ("Audit log", "audit_log", "audit"),
    ("API tokens", "token_list", "api-tokens"),
    ("Notifications", "notifications", "notifications"),
)


def main_navigation(request: Request, roles: frozenset[Role] | None) -> list[NavItem]:
    """The main menu a viewer with these roles sees; nothing when nobody is signed in."""
    if roles is None:
        return []
    return [
        NavItem(label, url_path(request, route), key)
        for label, route, key, seen_by in _MENU
        if seen_by is None or roles & seen_by
    ]


def admin_navigation(request: Request, roles: frozenset[Role] | None) -> list[NavItem]:
    """The admin area's pages, for central admins; nothing for anyone else."""
    if roles is None or Role.CENTRAL_ADMIN not in roles:
        return []
    return [NavItem(label, url_path(request, route), key) for label, route, key in _ADMIN_MENU]


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(PROJECT_ROOT / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["service_name"] = SERVICE_NAME
    env.globals["url"] = _url
    env.filters["govuk_date"] = govuk_date
    env.filters["govuk_datetime"] = govuk_datetime
    return env


templates = _environment()


def template_script_hash() -> str:
    """CSP hash of the one inline script in GOV.UK Frontend's page template (it sets `js-enabled`)."""
    source = (
        Path(govuk_frontend_jinja.__file__).parent / "templates" / "template.html"
    ).read_text()
    script = re.search(r"<script[^>]*>(.*?)</script>", source, re.S).group(1)
    digest = hashlib.sha256(script.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def wants_fragment(request: Request) -> bool:
    """An htmx swap, as opposed to a normal load, a boosted link or a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The whole page, or only block `fragment` when htmx asks for a swap."""
    ctx = {"request": request, "current": getattr(request.state, "signed_in", None), **(context or {})}
    ctx["csrf_token"] = getattr(request.state, "csrf_token", "")
    if fragment and wants_fragment(request):
        html = render_block(templates, template, fragment, **ctx)
    else:
        viewer = ctx["current"]
        ctx["main_navigation"] = main_navigation(request, viewer.roles if viewer else None)
        ctx["admin_navigation"] = admin_navigation(request, viewer.roles if viewer else None)
        ctx.setdefault("flash", take_flash(request))  # a success message from the POST that redirected here
        html = templates.get_template(template).render(**ctx)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    if not (fragment and wants_fragment(request)):
        forget_flash(request, response)
    return response


def page_with_errors(request: Request, template: str, context: dict[str, Any], errors: dict[str, str],
                     values: dict[str, str] | None = None, *, fragment: str | None = None) -> HTMLResponse:
    """The same page again, status 422, with GOV.UK error messages and what the user typed kept."""
    return render(request, template, {**context, "errors": errors, "values": values or {}}, fragment=fragment,
                  status_code=422)
