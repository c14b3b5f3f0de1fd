"""Jinja2 with GOV.UK Frontend macros; one helper answers a full page or, for htmx, a named block."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import govuk_frontend_jinja
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from jinja2_fragments import render_block

from app import PROJECT_ROOT

SERVICE_NAME = "Atrocity Prevention Training"


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
        html = templates.get_template(template).render(**ctx)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


def page_with_errors(request: Request, template: str, context: dict[str, Any], errors: dict[str, str],
                     values: dict[str, str] | None = None, *, fragment: str | None = None) -> HTMLResponse:
    """The same page again, status 422, with GOV.UK error messages and what the user typed kept."""
    return render(request, template, {**context, "errors": errors, "values": values or {}}, fragment=fragment,
                  status_code=422)
